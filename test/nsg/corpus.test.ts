/**
 * Real documents, read in place from ../shared: the ARM REST examples (2021-02-01) that hold NSGs,
 * security rules or default rules; effective NSG lists and IP flow verify, where they can check a
 * decision; the NAT-gateway seed's az CLI output; the weekly ServiceTags file and the Discovery /
 * Service Tag Information API shapes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Flow,
  type Nsg,
  addressCount,
  addressToCidrs,
  createContext,
  defaultRules,
  evaluateFlow,
  formatAddresses,
  formatPorts,
  isBroad,
  namedSet,
  parseNsg,
  parseSecurityRule,
  parseServiceTags,
  ruleDecisions,
} from '../../lib/nsg/index.js';

const SHARED = resolve(process.cwd(), '../shared');
const EXAMPLES = resolve(SHARED, 'corpus/rest-api-examples/2021-02-01');

interface Example {
  parameters: Record<string, unknown>;
  responses: Record<string, { body?: Record<string, unknown> }>;
}

function example(name: string, dir = EXAMPLES): Example {
  return JSON.parse(readFileSync(resolve(dir, name), 'utf8')) as Example;
}

/** Every resource a response body holds: a list's `value` entries, or the body itself. */
function bodies(ex: Example): Record<string, unknown>[] {
  return Object.values(ex.responses).flatMap((r) => {
    const body = r.body;
    if (!body) return [];
    return Array.isArray(body['value']) ? (body['value'] as Record<string, unknown>[]) : [body];
  });
}

function mustParse(raw: unknown, options: { id?: string } = {}): Nsg {
  const result = parseNsg(raw, options);
  if (!result.ok) throw new Error(JSON.stringify(result.errors, null, 2));
  return result.nsg;
}

const files = readdirSync(EXAMPLES);
const nsgFiles = files.filter((f) => /^NetworkSecurityGroup(?!Rule).*\.json$/.test(f));
const ruleFiles = files.filter((f) => /^(NetworkSecurityGroupRule|DefaultSecurityRule).*\.json$/.test(f));

describe('ARM REST examples (2021-02-01)', () => {
  it('has the files this test is about', () => {
    expect(nsgFiles.sort()).toEqual([
      'NetworkSecurityGroupCreate.json',
      'NetworkSecurityGroupCreateWithRule.json',
      'NetworkSecurityGroupGet.json',
      'NetworkSecurityGroupList.json',
      'NetworkSecurityGroupListAll.json',
      'NetworkSecurityGroupUpdateTags.json',
    ]);
    expect(ruleFiles.sort()).toEqual([
      'DefaultSecurityRuleGet.json',
      'DefaultSecurityRuleList.json',
      'NetworkSecurityGroupRuleCreate.json',
      'NetworkSecurityGroupRuleGet.json',
      'NetworkSecurityGroupRuleList.json',
    ]);
  });

  it.each(nsgFiles)('%s: every NSG in every response parses, default rules included', (file) => {
    const nsgs = bodies(example(file)).map((b) => mustParse(b));
    expect(nsgs.length).toBeGreaterThan(0);
    for (const nsg of nsgs) {
      expect(nsg.id).toMatch(/\/networkSecurityGroups\/[^/]+$/);
      expect(nsg.inbound.filter((r) => r.isDefault).map((r) => r.name)).toEqual(['AllowVnetInBound', 'AllowAzureLoadBalancerInBound', 'DenyAllInBound']);
      expect(nsg.outbound.filter((r) => r.isDefault).map((r) => r.name)).toEqual(['AllowVnetOutBound', 'AllowInternetOutBound', 'DenyAllOutBound']);
    }
  });

  it('NetworkSecurityGroupCreateWithRule.json: the request body parses too', () => {
    const ex = example('NetworkSecurityGroupCreateWithRule.json');
    const request = ex.parameters['parameters'];
    const nsg = mustParse(request, { id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg' });
    expect(nsg.inbound.map((r) => `${r.name}@${r.priority}`)).toContain('rule1@130');
  });

  it('NetworkSecurityGroupGet.json: rule1 is read exactly', () => {
    const [nsg] = bodies(example('NetworkSecurityGroupGet.json')).map((b) => mustParse(b));
    const rule1 = nsg?.inbound.find((r) => r.name === 'rule1');
    expect(rule1).toMatchObject({ priority: 130, access: 'Allow', protocol: '*', direction: 'Inbound', isDefault: false });
    expect(formatPorts(rule1?.destinationPorts ?? [])).toEqual(['80']);
  });

  it.each(ruleFiles)('%s: every rule in every response parses', (file) => {
    const ex = example(file);
    const rules = bodies(ex).map((b) => parseSecurityRule(b));
    const request = ex.parameters['securityRuleParameters'];
    if (request) rules.push(parseSecurityRule({ name: String(ex.parameters['securityRuleName']), ...(request) }));
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      if (!rule.ok) throw new Error(JSON.stringify(rule.errors));
      expect(rule.rule.isDefault).toBe(file.startsWith('Default'));
    }
  });

  it('DefaultSecurityRuleList.json: the engine adds exactly the default rules Azure lists', () => {
    const listed = bodies(example('DefaultSecurityRuleList.json')).map((b) => {
      const parsed = parseSecurityRule(b);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      return parsed;
    });
    const nsgId = listed[0]?.nsgId ?? '';
    const describe = (r: ReturnType<typeof defaultRules>[number]) => ({
      id: r.id,
      name: r.name,
      priority: r.priority,
      direction: r.direction,
      access: r.access,
      protocol: r.protocol,
      source: r.source.map((t) => t.text),
      destination: r.destination.map((t) => t.text),
      ports: [formatPorts(r.sourcePorts), formatPorts(r.destinationPorts)],
    });
    expect(defaultRules(nsgId).map(describe)).toEqual(listed.map((l) => describe(l.rule)));
  });

  it('NetworkInterfaceEffectiveNSGList.json: effective rules parse and decide as Azure shows', () => {
    const entries = bodies(example('NetworkInterfaceEffectiveNSGList.json'));
    expect(entries).toHaveLength(1);
    const nsg = mustParse(entries[0]);
    expect(nsg.id).toBe('/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/test-nsg');
    expect(nsg.inbound.filter((r) => !r.isDefault).map((r) => `${r.name}@${r.priority}`)).toEqual(['rule1@234', 'default-allow-rdp@1000']);
    // Listed default rules are kept as listed; the missing ones are added.
    expect(nsg.outbound.find((r) => r.name === 'AllowInternetOutBound')?.sourcePorts).toEqual([0, 65535]);
    const ctx = createContext({ virtualNetworkPrefixes: ['10.0.0.0/16'] });
    const decide = (flow: Flow) => {
      const d = evaluateFlow(nsg, flow, ctx);
      return `${d.access}:${d.rule.rule}`;
    };
    const table: [Flow, string][] = [
      [{ direction: 'Inbound', protocol: 'Tcp', sourceIp: '1.1.1.1', sourcePort: 50000, destinationIp: '10.0.0.4', destinationPort: 3389 }, 'Allow:default-allow-rdp'],
      [{ direction: 'Inbound', protocol: 'Tcp', sourceIp: '1.1.1.2', sourcePort: 50000, destinationIp: '10.0.0.4', destinationPort: 3389 }, 'Deny:DenyAllInBound'],
      [{ direction: 'Inbound', protocol: 'Udp', sourceIp: '1.1.1.1', sourcePort: 50000, destinationIp: '10.0.0.4', destinationPort: 3389 }, 'Deny:DenyAllInBound'],
      [{ direction: 'Inbound', protocol: 'Tcp', sourceIp: '0.0.0.0', sourcePort: 456, destinationIp: '0.0.0.0', destinationPort: 6579 }, 'Allow:rule1'],
      [{ direction: 'Inbound', protocol: 'Tcp', sourceIp: '0.0.0.0', sourcePort: 457, destinationIp: '0.0.0.0', destinationPort: 6579 }, 'Deny:DenyAllInBound'],
      [{ direction: 'Outbound', protocol: 'Tcp', sourceIp: '10.0.0.4', sourcePort: 50000, destinationIp: '1.0.0.1', destinationPort: 443 }, 'Allow:AllowInternetOutBound'],
      [{ direction: 'Outbound', protocol: 'Icmp', sourceIp: '10.0.0.4', destinationIp: '32.1.2.3' }, 'Allow:AllowInternetOutBound'],
    ];
    for (const [flow, expected] of table) expect(decide(flow), JSON.stringify(flow)).toBe(expected);
  });

  it('NetworkWatcherSecurityGroupViewGet.json: subnet, default and effective rules parse', () => {
    const view = bodies(example('NetworkWatcherSecurityGroupViewGet.json'));
    for (const body of view) {
      for (const nic of body['networkInterfaces'] as Record<string, Record<string, unknown>>[]) {
        const associations = nic['securityRuleAssociations'] as Record<string, unknown>;
        const subnet = associations['subnetAssociation'] as { securityRules: unknown[] };
        for (const rule of subnet.securityRules) expect(parseSecurityRule(rule).ok).toBe(true);
        for (const rule of associations['defaultSecurityRules'] as unknown[]) {
          const parsed = parseSecurityRule(rule);
          expect(parsed.ok && parsed.rule.isDefault).toBe(true);
        }
        const effective = mustParse({ effectiveSecurityRules: associations['effectiveSecurityRules'] }, { id: String(nic['id']) });
        // Azure's legacy name for the outbound catch-all stands in for DenyAllOutBound.
        expect(effective.outbound.filter((r) => r.priority === 65500).map((r) => r.name)).toEqual(['DefaultOutboundDenyAll']);
      }
    }
  });

  it('NetworkWatcherIpFlowVerify.json: local/remote map to source/destination by direction', () => {
    const ex = example('NetworkWatcherIpFlowVerify.json');
    const q = ex.parameters['parameters'] as Record<string, string>;
    const answer = ex.responses['200']?.body as { access: string; ruleName: string };
    const nsg = mustParse({
      id: '/subscriptions/subid/resourceGroups/rg2/providers/Microsoft.Network/networkSecurityGroups/vm1-nsg',
      securityRules: [
        { name: 'DenyWebElsewhere', priority: 300, direction: 'Outbound', access: 'Deny', protocol: 'Tcp', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: 'Internet', destinationPortRange: '80' },
        { name: 'Rule1', priority: 200, direction: 'Outbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: '10.2.0.0/24', sourcePortRange: '80', destinationAddressPrefix: '121.10.0.0/16', destinationPortRange: '80' },
      ],
    });
    const outbound = q['direction'] === 'Outbound';
    const flow: Flow = {
      direction: outbound ? 'Outbound' : 'Inbound',
      protocol: 'Tcp',
      sourceIp: outbound ? String(q['localIPAddress']) : String(q['remoteIPAddress']),
      sourcePort: Number(outbound ? q['localPort'] : q['remotePort']),
      destinationIp: outbound ? String(q['remoteIPAddress']) : String(q['localIPAddress']),
      destinationPort: Number(outbound ? q['remotePort'] : q['localPort']),
    };
    const decision = evaluateFlow(nsg, flow, createContext({ virtualNetworkPrefixes: ['10.2.0.0/16'] }));
    expect({ access: decision.access, ruleName: decision.rule.rule }).toEqual(answer);
  });
});

describe('the NAT-gateway seed (az CLI output)', () => {
  const text = readFileSync(resolve(SHARED, 'seeds/003_7f837e99410b78e2.txt'), 'utf8');
  const documents = text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('parses the `az network nsg show` projection of the NSG and decides egress like Azure', () => {
    const shown = documents.find((d) => 'defaultSecurityRules' in d);
    const nsg = mustParse(shown);
    expect(nsg.id).toBe(
      '/subscriptions/abcdabcd-1234-abcd-1234-abcdabcdabcd/resourceGroups/cloud-shell-storage-westeurope/providers/Microsoft.Network/networkSecurityGroups/cc-project5-nat-nsg',
    );
    expect(nsg.outbound.map((r) => `${r.name}@${r.priority}`)).toEqual([
      'AllowAnyCustomAnyOutbound@100',
      'AllowVnetOutBound@65000',
      'AllowInternetOutBound@65001',
      'DenyAllOutBound@65500',
    ]);
    const ctx = createContext({ virtualNetworkPrefixes: ['10.0.0.0/16'] });
    const egress = evaluateFlow(nsg, { direction: 'Outbound', protocol: 'Tcp', sourceIp: '10.0.0.4', sourcePort: 50000, destinationIp: '93.184.216.34', destinationPort: 80 }, ctx);
    expect(egress).toMatchObject({ access: 'Allow', rule: { rule: 'AllowAnyCustomAnyOutbound', priority: 100 } });
    const decisions = ruleDecisions(nsg, ctx).filter((d) => d.rule.direction === 'Outbound');
    expect(decisions.map((d) => `${d.rule.rule}:${d.decides}`)).toEqual([
      'AllowAnyCustomAnyOutbound:true',
      'AllowVnetOutBound:false',
      'AllowInternetOutBound:false',
      'DenyAllOutBound:false',
    ]);
  });

  it('reads the remediation rules; the redacted destination is an error naming rule and field', () => {
    const rules = documents.filter((d) => 'access' in d).map((d) => parseSecurityRule(d));
    expect(rules).toHaveLength(2);
    const [denyAll, allowHttps] = rules;
    expect(denyAll?.ok && denyAll.rule).toMatchObject({ name: 'DenyAllOutboundAccess', priority: 100, access: 'Deny' });
    expect(allowHttps?.ok).toBe(false);
    if (allowHttps && !allowHttps.ok) {
      expect(allowHttps.errors).toEqual([
        {
          resourceId: '/subscriptions/abcdabcd-1234-abcd-1234-abcdabcdabcd/resourceGroups/cloud-shell-storage-westeurope/providers/Microsoft.Network/networkSecurityGroups/cc-project5-nat-nsg',
          rule: 'AllowHttpsOutboundAccess',
          field: 'destinationAddressPrefix',
          message: "rule AllowHttpsOutboundAccess: 'xxx.xxx.xxx.xxx/32' is not an IPv4 or IPv6 address or CIDR prefix",
        },
      ]);
    }
  });

  it('the remediated NSG (deny all at 100, HTTPS to one address at 200) leaves the Internet default deciding nothing', () => {
    const seeded = documents.filter((d) => 'access' in d).map((d) => ({ ...d, destinationAddressPrefix: d['destinationAddressPrefix'] === '*' ? '*' : '10.20.30.40/32' }));
    const nsg = mustParse({ securityRules: seeded });
    const ctx = createContext({ virtualNetworkPrefixes: ['10.0.0.0/16'] });
    const https = evaluateFlow(nsg, { direction: 'Outbound', protocol: 'Tcp', sourceIp: '10.0.0.4', sourcePort: 50000, destinationIp: '10.20.30.40', destinationPort: 443 }, ctx);
    expect(https.rule.rule).toBe('DenyAllOutboundAccess');
    const internet = ruleDecisions(nsg, ctx).find((d) => d.rule.rule === 'AllowInternetOutBound');
    expect(internet).toMatchObject({ decides: false, reason: 'shadowed', shadowedBy: [{ rule: 'DenyAllOutboundAccess' }] });
  });
});

describe('service tag data', () => {
  const weekly = (() => {
    const parsed = parseServiceTags(readFileSync(resolve(SHARED, 'corpus/servicetags/ServiceTags_Public_20251028.json'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.data;
  })();

  it('reads the weekly file: 3,039 tags and the change number', () => {
    expect(weekly.names).toHaveLength(3039);
    expect(weekly.changeNumber).toBe('375');
    expect(weekly.cloud).toBe('Public');
    expect(weekly.problems).toEqual([]);
  });

  it('resolves AzureCloud (13,080 prefixes): broad by DESIGN’s threshold', () => {
    const ctx = createContext({ serviceTags: weekly });
    const azureCloud = namedSet(ctx, 'azurecloud');
    const count = addressCount(azureCloud);
    expect(count.ipv4).toBeGreaterThan(2 ** 24);
    expect(count.ipv6).toBeGreaterThan(0n);
    expect(isBroad(azureCloud, ctx)).toBe(true);
  });

  it('resolves regional tags case-insensitively', () => {
    const ctx = createContext({ serviceTags: weekly });
    expect(weekly.has('storage.westeurope')).toBe(true);
    const regional = namedSet(ctx, 'STORAGE.WestEurope');
    expect(addressToCidrs(regional).length).toBeGreaterThan(10);
    expect(formatAddresses(regional).some((c) => c.startsWith('tag:'))).toBe(false);
    expect(isBroad(regional, ctx)).toBe(false);
  });

  it('reads the Discovery API list (2021-02-01) with its change number', () => {
    const parsed = parseServiceTags(example('ServiceTagsList.json').responses['200']?.body);
    expect(parsed.ok && parsed.data.changeNumber).toBe('63');
    expect(parsed.ok && parsed.data.names).toEqual(['ApiManagement', 'ApiManagement.AustraliaCentral', 'AppService', 'ServiceBus', 'ServiceBus.EastUS2']);
    const set = parsed.ok ? parsed.data.addressSet('apimanagement') : undefined;
    expect(set && addressToCidrs(set)).toEqual(['13.64.39.16/32', '40.74.146.80/31', '40.74.147.32/28']);
  });

  it.each(['ServiceTagInformationListResult.json', 'ServiceTagInformationListResultWithTagname.json'])(
    'reads the Service Tag Information API shape (2024-05-01): %s',
    (file) => {
      const parsed = parseServiceTags(example(file, resolve(SHARED, 'corpus/rest-api-examples/2024-05-01')).responses['200']?.body);
      expect(parsed.ok && parsed.data.has('ApiManagement')).toBe(true);
    },
  );

  it.each([
    [{}, 'no "values"'],
    ['{not json', 'not JSON'],
    [{ values: [{ properties: { addressPrefixes: [] } }] }, 'has no name'],
    [{ values: [{ name: 'X', properties: {} }] }, 'X has no addressPrefixes'],
  ])('rejects %j', (input, message) => {
    const parsed = parseServiceTags(input);
    expect(!parsed.ok && parsed.error).toContain(message);
  });

  it('lists prefixes it cannot read instead of guessing', () => {
    const parsed = parseServiceTags({ values: [{ name: 'Odd', properties: { addressPrefixes: ['1.2.3.0/24', 'nonsense'] } }] });
    if (!parsed.ok) throw new Error(parsed.error);
    expect(addressToCidrs(parsed.data.addressSet('odd') ?? { v4: [], v6: [], tags: { complement: false, names: [] } })).toEqual(['1.2.3.0/24']);
    expect(parsed.data.problems).toEqual(["service tag Odd: 'nonsense' is not a CIDR prefix"]);
  });
});
