import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flowCommand } from '../../lib/cli/flow.js';
import { splitEndpoint } from '../../lib/flow/verifier.js';
import { capture } from '../support/cli-io.js';
import { main } from '../../lib/cli/main.js';
import { loadBalancer, nic as fixtureNic, nsg as fixtureNsg, publicIp, vnet as fixtureVnet } from '../rules/fixtures/build.js';

const CORPUS = resolve(process.cwd(), '../shared/corpus');
const REST = (file: string) => resolve(CORPUS, 'rest-api-examples/2021-02-01', file);
const CASSETTE = resolve(CORPUS, 'peers/cloud-custodian-cassettes/NetworkSecurityGroupTest.test_cidr_and_ingress_no_match.json');
const SERVICE_TAGS = resolve(CORPUS, 'servicetags/ServiceTags_Public_20251028.json');

const dir = mkdtempSync(join(tmpdir(), 'nsgwatch-flow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}


/** Runs `nsgwatch flow` in-process as the CLI does (usage errors become exit 2 on stderr). */
async function flow(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = capture({ cwd: dir });
  const code = await main(['flow', ...argv], io);
  return { code, out: io.out(), err: io.err() };
}

async function flowJson(argv: string[]): Promise<unknown> {
  const result = await flow([...argv, '--json']);
  expect(result.err.split('\n').filter((l) => l.startsWith('warning'))).toEqual([]);
  expect(result.code).toBe(0);
  return JSON.parse(result.out);
}

// A small estate written for these tests, in ARM REST shape: a VNet peered with one Connected and
// one Initiated network, a subnet NSG and a NIC NSG, ASGs, IPv6, and a subnet whose NSG is missing.
const P = '/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Network';
const rule = (name: string, priority: number, direction: string, access: string, protocol: string, source: string | { asg: string }, destination: string | { asg: string }, port: string) => ({
  name,
  properties: {
    priority,
    direction,
    access,
    protocol,
    sourcePortRange: '*',
    destinationPortRange: port,
    ...(typeof source === 'string' ? { sourceAddressPrefix: source } : { sourceApplicationSecurityGroups: [{ id: `${P}/applicationSecurityGroups/${source.asg}` }] }),
    ...(typeof destination === 'string' ? { destinationAddressPrefix: destination } : { destinationApplicationSecurityGroups: [{ id: `${P}/applicationSecurityGroups/${destination.asg}` }] }),
  },
});
const nsg = (name: string, rules: unknown[]) => ({ name, id: `${P}/networkSecurityGroups/${name}`, type: 'Microsoft.Network/networkSecurityGroups', properties: { securityRules: rules } });
const nic = (name: string, subnet: string, ips: string[], extra: { nsg?: string; asgs?: string[] } = {}) => ({
  name,
  id: `${P}/networkInterfaces/${name}`,
  type: 'Microsoft.Network/networkInterfaces',
  properties: {
    ...(extra.nsg ? { networkSecurityGroup: { id: `${P}/networkSecurityGroups/${extra.nsg}` } } : {}),
    ipConfigurations: ips.map((ip, i) => ({
      name: `ip${i}`,
      properties: {
        privateIPAddress: ip,
        subnet: { id: `${P}/virtualNetworks/vnet1/subnets/${subnet}` },
        applicationSecurityGroups: (extra.asgs ?? []).map((a) => ({ id: `${P}/applicationSecurityGroups/${a}` })),
      },
    })),
  },
});

const networks = write('networks.json', {
  value: [
    {
      name: 'vnet1',
      id: `${P}/virtualNetworks/vnet1`,
      type: 'Microsoft.Network/virtualNetworks',
      properties: {
        addressSpace: { addressPrefixes: ['10.0.0.0/16', 'fd00:db8::/48'] },
        subnets: [
          { name: 'web', properties: { addressPrefixes: ['10.0.1.0/24', 'fd00:db8:0:1::/64'], networkSecurityGroup: { id: `${P}/networkSecurityGroups/nsg-sub` } } },
          { name: 'app', properties: { addressPrefix: '10.0.2.0/24' } },
          { name: 'legacy', properties: { addressPrefix: '10.0.3.0/24', networkSecurityGroup: { id: `${P}/networkSecurityGroups/nsg-not-exported` } } },
        ],
        virtualNetworkPeerings: [
          { name: 'to-vnet5', properties: { peeringState: 'Connected', remoteVirtualNetwork: { id: `${P}/virtualNetworks/vnet5` }, remoteAddressSpace: { addressPrefixes: ['10.5.0.0/16'] } } },
          { name: 'to-vnet9', properties: { peeringState: 'Initiated', remoteVirtualNetwork: { id: `${P}/virtualNetworks/vnet9` }, remoteAddressSpace: { addressPrefixes: ['10.9.0.0/16'] } } },
        ],
      },
    },
  ],
});
const securityGroups = write('nsgs.json', [
  nsg('nsg-sub', [
    rule('AllowHttpsInternet', 100, 'Inbound', 'Allow', 'Tcp', 'Internet', '*', '443'),
    rule('AllowHttpsGatewayManager', 150, 'Inbound', 'Allow', 'Tcp', 'GatewayManager', '*', '8443'),
    rule('DenySshInternet', 200, 'Inbound', 'Deny', 'Tcp', 'internet', '*', '22'),
    rule('AllowDbFromApp', 300, 'Inbound', 'Allow', 'Tcp', { asg: 'asg-app' }, { asg: 'asg-db' }, '5432'),
    rule('DenyVnetDb', 4000, 'Inbound', 'Deny', '*', 'VirtualNetwork', 'VirtualNetwork', '5432'),
  ]),
  nsg('nsg-nic', [
    rule('DenyHttpsPartner', 100, 'Inbound', 'Deny', 'Tcp', '203.0.113.0/24', '*', '443'),
    rule('AllowHttps', 200, 'Inbound', 'Allow', 'Tcp', '*', '*', '443'),
    rule('DenySmtpOut', 100, 'Outbound', 'Deny', 'Tcp', '*', 'Internet', '25'),
  ]),
]);
const interfaces = write('nics.json', [
  nic('nic-web', 'web', ['10.0.1.4', 'fd00:db8:0:1::4'], { nsg: 'nsg-nic', asgs: ['asg-db'] }),
  nic('nic-app', 'app', ['10.0.2.5'], { asgs: ['asg-app'] }),
  nic('nic-legacy', 'legacy', ['10.0.3.4']),
]);
const ESTATE = [networks, securityGroups, interfaces];
const NSG_SUB = `${P}/networkSecurityGroups/nsg-sub`;
const NSG_NIC = `${P}/networkSecurityGroups/nsg-nic`;

const ask = (target: string[], direction: string, protocol: string, source: string, destination: string) => [
  ...target,
  '--direction',
  direction,
  '--protocol',
  protocol,
  '--source',
  source,
  '--destination',
  destination,
];

describe('nsgwatch flow: a NIC, its subnet NSG and its own NSG composed', () => {
  it.each([
    {
      name: 'inbound passes only when the subnet NSG and then the NIC NSG allow it',
      query: ask(['--nic', 'nic-web'], 'inbound', 'tcp', '198.51.100.7:40000', '10.0.1.4:443'),
      access: 'Allow',
      decidedBy: [{ nsg: NSG_SUB, rule: 'AllowHttpsInternet', priority: 100 }, { nsg: NSG_NIC, rule: 'AllowHttps', priority: 200 }],
    },
    {
      name: 'the NIC NSG denies what the subnet NSG allowed',
      query: ask(['--nic', 'nic-web'], 'inbound', 'tcp', '203.0.113.5:40000', '10.0.1.4:443'),
      access: 'Deny',
      decidedBy: [{ nsg: NSG_SUB, rule: 'AllowHttpsInternet', priority: 100 }, { nsg: NSG_NIC, rule: 'DenyHttpsPartner', priority: 100 }],
    },
    {
      name: 'a subnet Deny stops the flow before the NIC NSG is consulted',
      query: ask(['--nic', 'nic-web'], 'inbound', 'tcp', '198.51.100.7:40000', '10.0.1.4:22'),
      access: 'Deny',
      decidedBy: [{ nsg: NSG_SUB, rule: 'DenySshInternet', priority: 200 }],
    },
    {
      name: 'outbound consults the NIC NSG first',
      query: ask(['--nic', 'nic-web'], 'outbound', 'tcp', '10.0.1.4:50000', '8.8.8.8:25'),
      access: 'Deny',
      decidedBy: [{ nsg: NSG_NIC, rule: 'DenySmtpOut', priority: 100 }],
    },
    {
      name: 'outbound to the Internet passes both default AllowInternetOutBound rules, NIC then subnet',
      query: ask(['--nic', 'nic-web'], 'outbound', 'tcp', '10.0.1.4:50000', '8.8.8.8:443'),
      access: 'Allow',
      decidedBy: [{ nsg: NSG_NIC, rule: 'AllowInternetOutBound', priority: 65001 }, { nsg: NSG_SUB, rule: 'AllowInternetOutBound', priority: 65001 }],
    },
    {
      name: 'VirtualNetwork includes a Connected peering',
      query: ask(['--nic', 'nic-web'], 'inbound', 'tcp', '10.5.0.4:40000', '10.0.1.4:8080'),
      access: 'Allow',
      decidedBy: [{ nsg: NSG_SUB, rule: 'AllowVnetInBound', priority: 65000 }, { nsg: NSG_NIC, rule: 'AllowVnetInBound', priority: 65000 }],
    },
    {
      name: 'VirtualNetwork leaves out an Initiated peering',
      query: ask(['--nic', 'nic-web'], 'inbound', 'tcp', '10.9.0.4:40000', '10.0.1.4:8080'),
      access: 'Deny',
      decidedBy: [{ nsg: NSG_SUB, rule: 'DenyAllInBound', priority: 65500 }],
    },
    {
      name: 'an ASG rule matches a member NIC',
      query: ask(['--nic', 'nic-web'], 'inbound', 'tcp', '10.0.2.5:40000', '10.0.1.4:5432'),
      access: 'Allow',
      decidedBy: [{ nsg: NSG_SUB, rule: 'AllowDbFromApp', priority: 300 }, { nsg: NSG_NIC, rule: 'AllowVnetInBound', priority: 65000 }],
    },
    {
      name: 'an ASG rule does not match an address outside the group',
      query: ask(['--nic', 'nic-web'], 'inbound', 'tcp', '10.0.2.6:40000', '10.0.1.4:5432'),
      access: 'Deny',
      decidedBy: [{ nsg: NSG_SUB, rule: 'DenyVnetDb', priority: 4000 }],
    },
    {
      name: 'IPv6 endpoints in brackets',
      query: ask(['--nic', 'nic-web'], 'inbound', 'tcp', '[2001:db8:ffff::7]:40000', '[fd00:db8:0:1::4]:443'),
      access: 'Allow',
      decidedBy: [{ nsg: NSG_SUB, rule: 'AllowHttpsInternet', priority: 100 }, { nsg: NSG_NIC, rule: 'AllowHttps', priority: 200 }],
    },
    {
      name: 'ICMP has no ports',
      query: ask(['--nic', 'nic-web'], 'inbound', 'ICMP', '10.0.2.5', '10.0.1.4'),
      access: 'Allow',
      decidedBy: [{ nsg: NSG_SUB, rule: 'AllowVnetInBound', priority: 65000 }, { nsg: NSG_NIC, rule: 'AllowVnetInBound', priority: 65000 }],
    },
    {
      name: 'a NIC with no NSG anywhere lets everything pass',
      query: ask(['--nic', 'nic-app'], 'inbound', 'udp', '198.51.100.7:53', '10.0.2.5:53'),
      access: 'Allow',
      decidedBy: [],
    },
  ])('$name', async ({ query, access, decidedBy }) => {
    expect(await flowJson([...ESTATE, ...query])).toEqual({ access, decidedBy });
  });

  it('prints a line a person reads, with each deciding rule and where its NSG sits', async () => {
    const result = await flow([...ESTATE, ...ask(['--nic', 'NIC-WEB'], 'inbound', 'tcp', '203.0.113.5:40000', '10.0.1.4:443')]);
    expect(result.code).toBe(0);
    expect(result.out.split('\n')).toEqual([
      'Deny: Inbound Tcp 203.0.113.5:40000 -> 10.0.1.4:443 at NIC nic-web (subnet NSG nsg-sub, NIC NSG nsg-nic)',
      'decided by:',
      '  nsg-sub (subnet NSG)  AllowHttpsInternet  priority 100  Allow',
      '  nsg-nic (NIC NSG)     DenyHttpsPartner    priority 100  Deny',
      '',
    ]);
  });

  it('says when nothing guards the NIC', async () => {
    const result = await flow([...ESTATE, ...ask(['--nic', 'nic-app'], 'inbound', 'tcp', '198.51.100.7:1', '10.0.2.5:22')]);
    expect(result.out).toContain('decided by: no NSG (nothing guards it, so everything passes)');
  });

  it('refuses to decide when the subnet NSG is not in the estate', async () => {
    const result = await flow([...ESTATE, ...ask(['--nic', 'nic-legacy'], 'inbound', 'tcp', '198.51.100.7:1', '10.0.3.4:22')]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`the subnet of NIC nic-legacy is guarded by NSG ${P}/networkSecurityGroups/nsg-not-exported, which is not in the estate`);
  });
});

describe('nsgwatch flow: service tags', () => {
  const fromGatewayManager = ask(['--nsg', 'nsg-sub'], 'inbound', 'tcp', '4.199.82.193:40000', '10.0.1.4:8443');

  it('resolves a service tag from the ServiceTags file', async () => {
    expect(await flowJson([...ESTATE, ...fromGatewayManager, '--service-tags', SERVICE_TAGS])).toEqual({
      access: 'Allow',
      decidedBy: [{ nsg: NSG_SUB, rule: 'AllowHttpsGatewayManager', priority: 150 }],
    });
  });

  it('without the data, a concrete address does not match the tag, and the output says so', async () => {
    const result = await flow([...ESTATE, ...fromGatewayManager]);
    expect(result.out).toMatch(/^Deny: /);
    expect(result.out).toContain('note: service tag GatewayManager has no address data (load --service-tags): rule AllowHttpsGatewayManager matches no concrete address through it');
  });

  it('states the default VirtualNetwork assumption for an NSG with no known virtual network', async () => {
    const result = await flow([REST('NetworkSecurityGroupGet.json'), ...ask(['--nsg', 'testnsg'], 'inbound', 'tcp', '10.1.2.3:1', '10.0.0.4:8080'), '--json']);
    expect(JSON.parse(result.out)).toEqual({ access: 'Allow', decidedBy: [{ nsg: expect.stringContaining('/testnsg'), rule: 'AllowVnetInBound', priority: 65000 }] });
    expect(result.err).toContain('note: no virtual network known: VirtualNetwork taken as 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10');
  });
});

describe('nsgwatch flow: the REST API examples check decisions', () => {
  const testnsg = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg';
  const effective = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/test-nsg';
  // NetworkWatcherIpFlowVerify.json asks: Outbound TCP from local 10.2.0.4:80 to remote 121.10.1.1:80 → Allow.
  const ipFlowVerify = ['--direction', 'Outbound', '--protocol', 'TCP', '--source', '10.2.0.4:80', '--destination', '121.10.1.1:80'];

  it.each([
    ['NetworkSecurityGroupGet.json', ['--nsg', 'testnsg', ...ipFlowVerify], { access: 'Allow', decidedBy: [{ nsg: testnsg, rule: 'AllowInternetOutBound', priority: 65001 }] }],
    ['NetworkSecurityGroupGet.json', ask(['--nsg', 'TESTNSG'], 'inbound', 'tcp', '198.51.100.7:1234', '10.0.0.4:80'), { access: 'Allow', decidedBy: [{ nsg: testnsg, rule: 'rule1', priority: 130 }] }],
    ['NetworkSecurityGroupGet.json', ask(['--nsg', testnsg.toUpperCase()], 'inbound', 'tcp', '198.51.100.7:1234', '10.0.0.4:81'), { access: 'Deny', decidedBy: [{ nsg: testnsg, rule: 'DenyAllInBound', priority: 65500 }] }],
    // The effective NSG list: Azure's expanded rules (protocol All, ranges like 456-456).
    ['NetworkInterfaceEffectiveNSGList.json', ['--nsg', 'test-nsg', ...ipFlowVerify], { access: 'Allow', decidedBy: [{ nsg: effective, rule: 'AllowInternetOutBound', priority: 65001 }] }],
    ['NetworkInterfaceEffectiveNSGList.json', ask(['--nsg', 'test-nsg'], 'inbound', 'tcp', '1.1.1.1:50000', '10.0.0.4:3389'), { access: 'Allow', decidedBy: [{ nsg: effective, rule: 'default-allow-rdp', priority: 1000 }] }],
    ['NetworkInterfaceEffectiveNSGList.json', ask(['--nsg', 'test-nsg'], 'inbound', 'tcp', '0.0.0.0:456', '0.0.0.0:6579'), { access: 'Allow', decidedBy: [{ nsg: effective, rule: 'rule1', priority: 234 }] }],
    // Not listed in the effective list, the default DenyAllInBound still exists.
    ['NetworkInterfaceEffectiveNSGList.json', ask(['--nsg', 'test-nsg'], 'inbound', 'tcp', '1.1.1.2:50000', '10.0.0.4:3389'), { access: 'Deny', decidedBy: [{ nsg: effective, rule: 'DenyAllInBound', priority: 65500 }] }],
  ])('%s %j', async (file, query, expected) => {
    expect(await flowJson([REST(file), ...query])).toEqual(expected);
  });
});

describe('nsgwatch flow: the real subscription of the Custodian cassettes', () => {
  const appgate = (source: string, port: number) => ask(['--nsg', 'appgate'], 'inbound', 'tcp', `${source}:40000`, `10.192.1.4:${port}`);

  it.each([
    [appgate('198.51.100.7', 443), 'Allow', 'appgate-tcp443', 200],
    [appgate('198.51.100.7', 22), 'Deny', 'DenyAllInBound', 65500],
    [appgate('10.192.3.3', 22), 'Allow', 'appgate-ssh', 100],
    [ask(['--nsg', 'nessus'], 'inbound', 'tcp', '71.179.21.82:40000', '10.192.1.9:22'), 'Allow', 'MikeWilsonHomeSSH', 210],
  ])('%j → %s by %s', async (query, access, rule, priority) => {
    const answer = (await flowJson([CASSETTE, ...query])) as { access: string; decidedBy: { rule: string; priority: number }[] };
    expect(answer.access).toBe(access);
    expect(answer.decidedBy.map((d) => [d.rule, d.priority])).toEqual([[rule, priority]]);
  });

  it('lists the candidates of an ambiguous name, and takes the id instead', async () => {
    const query = ask(['--nsg', 'DBM-SQLSERVER-2012-NSG'], 'inbound', 'tcp', '1.2.3.4:5', '10.0.0.4:1433');
    const result = await flow([CASSETTE, ...query]);
    expect(result.code).toBe(2);
    expect(result.err).toContain("NSG name 'DBM-SQLSERVER-2012-NSG' is ambiguous");
    expect(result.err).toContain('/resourceGroups/dbm-agent-integration/providers/Microsoft.Network/networkSecurityGroups/dbm-sqlserver-2012-nsg');
    expect(result.err).toContain('/resourceGroups/dbm-sqlserver-2012_group/providers/Microsoft.Network/networkSecurityGroups/dbm-sqlserver-2012-nsg');
    const byId = ask(['--nsg', '/subscriptions/ea42f556-5106-4743-99b0-c129bfa71a47/resourceGroups/dbm-sqlserver-2012_group/providers/Microsoft.Network/networkSecurityGroups/dbm-sqlserver-2012-nsg'], 'inbound', 'tcp', '1.2.3.4:5', '10.0.0.4:1433');
    expect(((await flowJson([CASSETTE, ...byId])) as { access: string }).access).toBe('Deny');
  });
});

describe('nsgwatch flow: the seed NAT-gateway procedure', () => {
  // Each JSON output quoted in the seed, written to a file of its own as a user would save it.
  const seedLines = readFileSync(resolve(process.cwd(), '../shared/seeds/003_7f837e99410b78e2.txt'), 'utf8').split('\n');
  const seed = (line: number) => write(`seed-${line}.json`, (seedLines[line - 1] ?? '').trim());

  it('decides on the audited NSG read from `az network nsg show` output', async () => {
    const answer = await flowJson([seed(47), seed(121), ...ask(['--nsg', 'cc-project5-nat-nsg'], 'outbound', 'tcp', '10.0.0.4:50000', '93.184.216.34:443')]);
    expect(answer).toEqual({
      access: 'Allow',
      decidedBy: [{ nsg: expect.stringMatching(/networkSecurityGroups\/cc-project5-nat-nsg$/), rule: 'AllowAnyCustomAnyOutbound', priority: 100 }],
    });
  });

  it('names the bad field when a rule is not valid (the seed redacts its address as xxx.xxx.xxx.xxx/32)', async () => {
    const result = await flow([seed(109), seed(113), ...ask(['--nsg', 'cc-project5-nat-nsg'], 'outbound', 'tcp', '10.0.0.4:50000', '10.20.30.40:443')]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('NSG cc-project5-nat-nsg is not valid');
    expect(result.err).toContain('AllowHttpsOutboundAccess');
    expect(result.err).toContain('destinationAddressPrefix');
  });
});

describe('nsgwatch flow --queries (JSONL)', () => {
  it('answers every line in order, an error line for each query that cannot be answered', async () => {
    const lines = [
      { nsg: 'nsg-sub', direction: 'inbound', protocol: 'tcp', source: '198.51.100.7', sourcePort: 40000, destination: '10.0.1.4', destinationPort: 443 },
      { nic: 'nic-web', direction: 'Inbound', protocol: 'Tcp', source: '203.0.113.5', sourcePort: '40000', destination: '10.0.1.4', destinationPort: '443' },
      { nsg: 'nsg-missing', direction: 'inbound', protocol: 'tcp', source: '1.2.3.4', sourcePort: 1, destination: '10.0.1.4', destinationPort: 443 },
      { nsg: 'nsg-sub', direction: 'sideways', protocol: 'tcp', source: '1.2.3.4', sourcePort: 1, destination: '10.0.1.4', destinationPort: 443 },
      { nsg: 'nsg-sub', direction: 'inbound', protocol: 'tcp', source: '1.2.3.4', destination: '10.0.1.4', destinationPort: 443 },
      { nsg: 'nsg-sub', nic: 'nic-web', direction: 'inbound', protocol: 'tcp', source: '1.2.3.4', sourcePort: 1, destination: '10.0.1.4', destinationPort: 443 },
      'not json at all',
      '',
      { nic: 'nic-web', direction: 'outbound', protocol: 'udp', source: '[fd00:db8:0:1::4]:5353', destination: '2001:4860:4860::8888', destinationPort: 53 },
      { nsg: 'nsg-sub', direction: 'inbound', protocol: 'tcp', source: '1.2.3.4', sourcePort: 70000, destination: '10.0.1.4', destinationPort: 443 },
    ];
    const queries = write('queries.jsonl', `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
    const result = await flow([...ESTATE, '--queries', queries]);
    expect(result.code).toBe(0);
    const answers = result.out.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(answers).toEqual([
      { access: 'Allow', decidedBy: [{ nsg: NSG_SUB, rule: 'AllowHttpsInternet', priority: 100 }] },
      { access: 'Deny', decidedBy: [{ nsg: NSG_SUB, rule: 'AllowHttpsInternet', priority: 100 }, { nsg: NSG_NIC, rule: 'DenyHttpsPartner', priority: 100 }] },
      { error: "line 3: no NSG named 'nsg-missing' in the estate (2 loaded)" },
      { error: expect.stringMatching(/^line 4: direction "sideways" is neither Inbound nor Outbound/) },
      { error: expect.stringMatching(/^line 5: sourcePort is missing/) },
      { error: 'line 6: name either an nsg or a nic (one of them)' },
      { error: expect.stringMatching(/^line 7 is not JSON/) },
      { access: 'Allow', decidedBy: [{ nsg: NSG_NIC, rule: 'AllowInternetOutBound', priority: 65001 }, { nsg: NSG_SUB, rule: 'AllowInternetOutBound', priority: 65001 }] },
      { error: expect.stringMatching(/^line 10: sourcePort 70000 is not a port 0-65535/) },
    ]);
  });

  it('answers every line even when one holds a value nested 100,000 deep', async () => {
    const good = { nsg: 'nsg-nic', direction: 'outbound', protocol: 'tcp', source: '10.0.1.4', sourcePort: 1, destination: '8.8.8.8', destinationPort: 25 };
    const deep = `${'['.repeat(100_000)}"tcp"${']'.repeat(100_000)}`;
    const queries = write('deep.jsonl', `${JSON.stringify(good).replace('"tcp"', deep)}\n${JSON.stringify(good)}\n`);
    const result = await flow([...ESTATE, '--queries', queries]);
    const lines = result.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(String(lines[0]?.['error'])).toMatch(/^line 1: protocol \[\[\[…\]\]\] is not/);
    expect(lines[1]).toHaveProperty('access');
  });

  it('holds every answer to exactly the contract keys', async () => {
    const queries = write('one.jsonl', JSON.stringify({ nsg: 'nsg-nic', direction: 'outbound', protocol: 'tcp', source: '10.0.1.4', sourcePort: 1, destination: '8.8.8.8', destinationPort: 25 }));
    const result = await flow([...ESTATE, '--queries', queries]);
    const [line] = result.out.trimEnd().split('\n');
    expect(Object.keys(JSON.parse(line ?? '{}') as object)).toEqual(['access', 'decidedBy']);
    expect(Object.keys((JSON.parse(line ?? '{}') as { decidedBy: object[] }).decidedBy[0] ?? {})).toEqual(['nsg', 'rule', 'priority']);
  });
});

describe('nsgwatch flow: usage and input errors exit 2', () => {
  it.each([
    [[...ESTATE, '--nsg', 'nsg-sub', '--protocol', 'tcp', '--source', '1.2.3.4:1', '--destination', '10.0.1.4:443'], 'missing --direction'],
    [[...ESTATE, '--nsg', 'nsg-sub', '--nic', 'nic-web', '--direction', 'inbound', '--protocol', 'tcp', '--source', '1.2.3.4:1', '--destination', '10.0.1.4:443'], 'give --nsg or --nic (one of them)'],
    [[...ESTATE, ...ask(['--nsg', 'nsg-sub'], 'inbound', 'tcp', '1.2.3.4', '10.0.1.4:443')], 'sourcePort is missing'],
    [[...ESTATE, ...ask(['--nsg', 'nsg-sub'], 'inbound', 'gre', '1.2.3.4:1', '10.0.1.4:443')], 'protocol "gre" is not Tcp, Udp, Icmp, Esp or Ah'],
    [[...ESTATE, ...ask(['--nsg', 'nsg-sub'], 'inbound', 'tcp', '1.2.3.4:http', '10.0.1.4:443')], "the port 'http' is not a number"],
    [[...ESTATE, ...ask(['--nsg', 'nsg-sub'], 'inbound', 'tcp', '1.2.3.4:1', '[fd00::1]:443')], 'source and destination are of different IP versions'],
    [[...ESTATE, ...ask(['--nsg', 'nsg-none'], 'inbound', 'tcp', '1.2.3.4:1', '10.0.1.4:443')], "no NSG named 'nsg-none' in the estate"],
    [ask(['--nsg', 'nsg-sub'], 'inbound', 'tcp', '1.2.3.4:1', '10.0.1.4:443'), 'give the estate files to read'],
    [[...ESTATE, 'missing.json', ...ask(['--nsg', 'nsg-sub'], 'inbound', 'tcp', '1.2.3.4:1', '10.0.1.4:443')], 'cannot read missing.json: no such file'],
    [[write('empty.json', '{"note": "no resources"}'), ...ask(['--nsg', 'nsg-sub'], 'inbound', 'tcp', '1.2.3.4:1', '10.0.1.4:443')], 'holds no Azure resources'],
    [[...ESTATE, '--queries', 'q.jsonl', '--nsg', 'nsg-sub'], '--queries takes every flow from its file; drop --nsg'],
    [[...ESTATE, '--queries', 'nope.jsonl'], 'cannot read nope.jsonl: no such file'],
    [[...ESTATE, '--frobnicate'], "Unknown option '--frobnicate'"],
    [[...ESTATE, ...ask(['--nsg', 'nsg-sub'], 'inbound', 'tcp', '1.2.3.4:1', '10.0.1.4:443'), '--service-tags', write('tags.json', '{"values": 3}')], 'service tag data has no "values"'],
  ])('%j → %s', async (argv, message) => {
    const result = await flow(argv);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(result.out).toBe('');
  });

  it('prints its help and exits 0', async () => {
    const result = await flow(['--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('usage: nsgwatch flow [FILE ...] (--nsg NAME_OR_ID | --nic NAME_OR_ID)');
    expect(result.out).toContain('--queries FILE.jsonl');
  });

  it('warns about resources that failed validation and goes on with the rest', async () => {
    const bad = write('bad-subnet.json', { id: `${P}/virtualNetworks/other/subnets/s`, properties: { addressPrefix: '10.0.0.0/99' } });
    const result = await flow([...ESTATE, bad, ...ask(['--nsg', 'nsg-sub'], 'inbound', 'tcp', '198.51.100.7:1', '10.0.1.4:443')]);
    expect(result.code).toBe(0);
    expect(result.err).toContain('warning: ');
    expect(result.err).toContain("'10.0.0.0/99' has a prefix length above 32");
  });

  it('is the same function main dispatches to', async () => {
    const io = capture({ cwd: dir });
    expect(await flowCommand(['--help'], io)).toBe(0);
  });
});

describe('splitEndpoint', () => {
  it.each([
    ['10.0.0.4', { ok: true, ip: '10.0.0.4' }],
    ['10.0.0.4:443', { ok: true, ip: '10.0.0.4', port: '443' }],
    ['2001:db8::4', { ok: true, ip: '2001:db8::4' }],
    ['[2001:db8::4]:443', { ok: true, ip: '2001:db8::4', port: '443' }],
    ['[2001:db8::4]', { ok: true, ip: '2001:db8::4' }],
    [' 10.0.0.4:0 ', { ok: true, ip: '10.0.0.4', port: '0' }],
    ['[2001:db8::4]:x', { ok: false, error: "'[2001:db8::4]:x' is not [IPv6]:PORT" }],
  ])('%s', (text, expected) => {
    expect(splitEndpoint(text)).toEqual(expected);
  });
});

describe('nsgwatch flow: a scale-set instance NIC', () => {
  // The REST example of a scale-set instance's NIC list, read in place, with the NSG it names.
  const vmssNics = resolve(CORPUS, 'rest-api-examples/2024-07-01/VmssVmNetworkInterfaceList.json');
  const nicId = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1/virtualMachines/1/networkInterfaces/nic1';
  const nicsFile = write('vmss-nics.json', (JSON.parse(readFileSync(vmssNics, 'utf8')) as { responses: { 200: { body: unknown } } }).responses[200].body);
  const nsgFile = write('vmss-nsg.json', {
    id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/nsg1',
    name: 'nsg1',
    type: 'Microsoft.Network/networkSecurityGroups',
    properties: {
      securityRules: [
        { name: 'AllowHttps', properties: { priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourcePortRange: '*', destinationPortRange: '443', sourceAddressPrefix: 'Internet', destinationAddressPrefix: '*' } },
      ],
    },
  });

  const vnetFile = write('vmss-vnet.json', {
    id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1',
    type: 'Microsoft.Network/virtualNetworks',
    properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] }, subnets: [{ name: 'subnet1', properties: { addressPrefix: '10.0.0.0/24' } }] },
  });

  it.each([
    ['443', 'Allow', 'AllowHttps'],
    ['22', 'Deny', 'DenyAllInBound'],
  ])('finds the NIC by its scale-set id; TCP %s is %s by %s', async (port, access, decider) => {
    const result = (await flowJson([nicsFile, nsgFile, vnetFile, '--nic', nicId, '--direction', 'inbound', '--protocol', 'tcp', '--source', '203.0.113.9:50000', '--destination', `10.0.0.5:${port}`])) as {
      access: string;
      decidedBy: { rule: string }[];
    };
    expect(result.access).toBe(access);
    expect(result.decidedBy.map((d) => d.rule)).toContain(decider);
  });
});

describe('nsgwatch flow: to a public address, answered through the path', () => {
  const estateFile = write(
    'public-path.json',
    [
      fixtureVnet('vnet-app', ['10.0.0.0/16'], [{ name: 'snet-app', prefix: '10.0.1.0/24', nsg: 'nsg-subnet' }]),
      fixtureNsg('nsg-subnet', [{ name: 'ssh', priority: 100, source: '*', ports: '22' }]),
      fixtureNic('nic-vm', { vnet: 'vnet-app', subnet: 'snet-app', ip: '10.0.1.4', publicIp: 'pip-vm', natRules: [{ lb: 'lb-web', rule: 'ssh-vm' }] }),
      publicIp('pip-vm', '20.1.2.3'),
      loadBalancer('lb-web', { publicIp: 'pip-lb', natRules: [{ name: 'ssh-vm', frontendPort: 50001, backendPort: 22 }] }),
      publicIp('pip-lb', '20.1.2.5'),
    ],
  );
  const ask = (destination: string) => ['flow', estateFile, '--nic', 'nic-vm', '--direction', 'inbound', '--protocol', 'tcp', '--source', '203.0.113.9:40000', '--destination', destination];

  it('a NAT rule 50001 → 22: the NSG sees 10.0.1.4:22, and the answer shows the translation', async () => {
    const io = capture();
    expect(await main(ask('20.1.2.5:50001'), io)).toBe(0);
    expect(io.out()).toMatch(/^Allow: Inbound Tcp 203\.0\.113\.9:40000 -> 10\.0\.1\.4:22 at NIC nic-vm/);
    expect(io.out()).toContain('translated: 20.1.2.5:50001 → 10.0.1.4:22 through load balancer lb-web 20.1.2.5 TCP 50001 → 22 (NAT rule ssh-vm)');
  });

  it('the NIC\'s public IP maps to its private address, port unchanged', async () => {
    const io = capture();
    expect(await main(ask('20.1.2.3:22'), io)).toBe(0);
    expect(io.out()).toContain('translated: 20.1.2.3:22 → 10.0.1.4:22 through public IP 20.1.2.3 (pip-vm)');
  });

  it('a port nothing forwards on the frontend is an answer saying so (exit 2)', async () => {
    const io = capture();
    expect(await main(ask('20.1.2.5:22'), io)).toBe(2);
    expect(io.err()).toMatch(/nothing at 20\.1\.2\.5 forwards TCP 22 to nic-vm/);
  });
});
