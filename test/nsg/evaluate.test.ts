import { describe, expect, it } from 'vitest';
import {
  type Flow,
  type Layers,
  type Nsg,
  addressContains,
  addressToCidrs,
  addressesFromPrefixes,
  analyzeRegion,
  createContext,
  evaluateComposed,
  evaluateFlow,
  formatAddresses,
  isBroad,
  namedSet,
  parseFlow,
  parseNsg,
  parseServiceTags,
  reachablePorts,
  ruleDecisions,
  shadowedRules,
  tagAtom,
  toWitness,
} from '../../lib/nsg/index.js';

function nsg(name: string, rules: Record<string, unknown>[]): Nsg {
  const result = parseNsg({
    id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/${name}`,
    securityRules: rules.map((r, i) => ({
      name: `r${i}`,
      direction: 'Inbound',
      protocol: '*',
      sourceAddressPrefix: '*',
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      ...('destinationPortRanges' in r ? {} : { destinationPortRange: '*' }),
      ...r,
    })),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.nsg;
}

const tcp = (sourceIp: string, destinationIp: string, destinationPort: number, direction: 'Inbound' | 'Outbound' = 'Inbound'): Flow => ({
  direction,
  protocol: 'Tcp',
  sourceIp,
  sourcePort: 50000,
  destinationIp,
  destinationPort,
});

describe('named sets in a context', () => {
  it('VirtualNetwork: the documented default when no VNet is known, stated as an assumption', () => {
    const ctx = createContext();
    expect(addressToCidrs(namedSet(ctx, 'VirtualNetwork'))).toEqual(['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12', '192.168.0.0/16']);
    expect(ctx.assumptions).toEqual(['no virtual network known: VirtualNetwork taken as 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10']);
  });

  it('VirtualNetwork: the VNet and its peerings when given; Internet is everything else that is not special', () => {
    const ctx = createContext({ virtualNetworkPrefixes: ['10.1.0.0/16', '52.10.0.0/24', '2001:db8::/32'] });
    expect(ctx.assumptions).toEqual([]);
    const internet = namedSet(ctx, 'INTERNET');
    const table: [string, boolean][] = [
      ['8.8.8.8', true],
      ['52.10.0.5', false], // a VNet using public space is VirtualNetwork, not Internet
      ['52.10.1.5', true],
      ['10.1.0.4', false],
      ['10.2.0.4', false], // special-purpose even outside the VNet
      ['100.64.0.1', false],
      ['127.0.0.1', false],
      ['169.254.169.254', false],
      ['172.16.5.5', false],
      ['192.168.1.1', false],
      ['224.0.0.1', false],
      ['240.0.0.1', false],
      ['0.1.2.3', false],
      ['168.63.129.16', true],
      ['2001:db8::1', false],
      ['2603:1000::1', true],
      ['::1', false],
      ['fd00::1', false],
      ['fe80::1', false],
      ['ff02::1', false],
      ['AzureCloud', true], // an unresolved tag is public
    ];
    for (const [address, inside] of table) expect(addressContains(internet, address), address).toBe(inside);
  });

  it('AzureLoadBalancer, ASGs, service tags and unresolved tags', () => {
    const tags = parseServiceTags({ values: [{ name: 'Storage.WestEurope', properties: { addressPrefixes: ['20.38.0.0/16'] } }] });
    if (!tags.ok) throw new Error(tags.error);
    const asg = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/web';
    const ctx = createContext({ serviceTags: tags.data, asgAddresses: { [asg.toUpperCase()]: ['10.0.0.4', '10.0.0.5', 'not-an-ip'] } });
    expect(addressToCidrs(namedSet(ctx, 'azureloadbalancer'))).toEqual(['168.63.129.16/32']);
    expect(addressToCidrs(namedSet(ctx, 'storage.westeurope'))).toEqual(['20.38.0.0/16']);
    expect(formatAddresses(namedSet(ctx, 'Sql.WestEurope'))).toEqual(['tag:sql.westeurope']);
    expect(addressToCidrs(ctx.asgAddresses.get(asg.toLowerCase()) ?? tagAtom('x'))).toEqual(['10.0.0.4/31']);
    expect(ctx.problems).toEqual([`member address 'not-an-ip' of ASG ${asg.toUpperCase()} is not an IP; skipped`]);
  });

  it('broadness follows the threshold setting', () => {
    const ctx = createContext({ broadThreshold: { ipv4: 255 } });
    expect(isBroad(addressesFromPrefixes(['1.2.3.0/24']).set, ctx)).toBe(true);
    expect(isBroad(addressesFromPrefixes(['1.2.3.0/25']).set, ctx)).toBe(false);
    expect(isBroad(addressesFromPrefixes(['1.0.0.0/8']).set, createContext())).toBe(false);
    expect(isBroad(addressesFromPrefixes(['1.0.0.0/7']).set, createContext())).toBe(true);
    expect(isBroad(addressesFromPrefixes(['2001:db8::/32']).set, createContext())).toBe(false);
    expect(isBroad(addressesFromPrefixes(['2001:db8::/31']).set, createContext())).toBe(true);
  });
});

describe('parseFlow', () => {
  it('normalises case and accepts the CLI field names', () => {
    expect(parseFlow({ direction: 'inbound', protocol: 'TCP', source: '1.2.3.4', sourcePort: '5000', destination: '10.0.0.4', destinationPort: 22 })).toEqual({
      ok: true,
      flow: { direction: 'Inbound', protocol: 'Tcp', sourceIp: '1.2.3.4', sourcePort: 5000, destinationIp: '10.0.0.4', destinationPort: 22 },
    });
    expect(parseFlow({ direction: 'Outbound', protocol: 'icmp', sourceIp: '10.0.0.4', destinationIp: '8.8.8.8' })).toEqual({
      ok: true,
      flow: { direction: 'Outbound', protocol: 'Icmp', sourceIp: '10.0.0.4', destinationIp: '8.8.8.8' },
    });
  });

  it.each([
    [{ direction: 'Up', protocol: 'Tcp', sourceIp: '1.2.3.4', sourcePort: 1, destinationIp: '10.0.0.4', destinationPort: 22 }, 'direction'],
    [{ direction: 'Inbound', protocol: '*', sourceIp: '1.2.3.4', sourcePort: 1, destinationIp: '10.0.0.4', destinationPort: 22 }, 'protocol'],
    [{ direction: 'Inbound', protocol: 'Tcp', sourceIp: '1.2.3.4', destinationIp: '10.0.0.4', destinationPort: 22 }, 'sourcePort'],
    [{ direction: 'Inbound', protocol: 'Tcp', sourceIp: '1.2.3.4', sourcePort: 70000, destinationIp: '10.0.0.4', destinationPort: 22 }, 'sourcePort'],
    [{ direction: 'Inbound', protocol: 'Icmp', sourceIp: '1.2.3.4', destinationIp: '10.0.0.4', destinationPort: 22 }, 'destinationPort'],
    [{ direction: 'Inbound', protocol: 'Tcp', sourceIp: '1.2.3.999', sourcePort: 1, destinationIp: '10.0.0.4', destinationPort: 22 }, 'sourceIp'],
    [{ direction: 'Inbound', protocol: 'Tcp', sourceIp: '1.2.3.4', sourcePort: 1, destinationIp: '2001:db8::4', destinationPort: 22 }, 'destinationIp'],
    [{ direction: 'Inbound', protocol: 'Tcp', sourcePort: 1, destinationIp: '10.0.0.4', destinationPort: 22 }, 'sourceIp'],
  ])('%j: error on %s', (raw, field) => {
    const result = parseFlow(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.field)).toContain(field);
  });
});

describe('evaluateFlow', () => {
  const ctx = createContext({ virtualNetworkPrefixes: ['10.0.0.0/16'] });
  const web = nsg('web', [
    { priority: 100, access: 'Deny', protocol: 'Tcp', sourceAddressPrefix: '203.0.113.0/24', destinationPortRange: '443' },
    { priority: 110, access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: 'Internet', destinationPortRanges: ['80', '443'] },
    { priority: 120, access: 'Allow', protocol: 'Udp', sourcePortRange: '53', destinationPortRange: '1024-65535' },
    { priority: 130, access: 'Allow', protocol: 'Icmp', sourceAddressPrefix: 'VirtualNetwork' },
    { priority: 140, access: 'Allow', protocol: 'Icmp', destinationPortRange: '0' },
    { priority: 150, access: 'Allow', protocol: '*', sourceAddressPrefix: 'Sql.WestEurope', destinationPortRange: '1433' },
  ]);
  it.each([
    ['first match wins: deny before allow', tcp('203.0.113.9', '10.0.0.4', 443), 'Deny', 'r0'],
    ['the next rule for other sources', tcp('198.51.100.9', '10.0.0.4', 443), 'Allow', 'r1'],
    ['ports outside every rule fall to the defaults', tcp('198.51.100.9', '10.0.0.4', 8080), 'Deny', 'DenyAllInBound'],
    ['VNet traffic is allowed by default', tcp('10.0.5.5', '10.0.0.4', 8080), 'Allow', 'AllowVnetInBound'],
    ['the load balancer probe is allowed by default', tcp('168.63.129.16', '10.0.0.4', 8080), 'Allow', 'AllowAzureLoadBalancerInBound'],
    ['source port ranges match', { direction: 'Inbound', protocol: 'Udp', sourceIp: '8.8.8.8', sourcePort: 53, destinationIp: '10.0.0.4', destinationPort: 5353 } as Flow, 'Allow', 'r2'],
    ['source port outside', { direction: 'Inbound', protocol: 'Udp', sourceIp: '8.8.8.8', sourcePort: 54, destinationIp: '10.0.0.4', destinationPort: 5353 } as Flow, 'Deny', 'DenyAllInBound'],
    ['ICMP matches a rule covering every port', { direction: 'Inbound', protocol: 'Icmp', sourceIp: '10.0.9.9', destinationIp: '10.0.0.4' } as Flow, 'Allow', 'r3'],
    ['ICMP never matches a rule with a port range', { direction: 'Inbound', protocol: 'Icmp', sourceIp: '8.8.8.8', destinationIp: '10.0.0.4' } as Flow, 'Deny', 'DenyAllInBound'],
    ['a flow from an unresolved tag matches a rule naming it', { direction: 'Inbound', protocol: 'Tcp', sourceIp: 'sql.westeurope', sourcePort: 1, destinationIp: '10.0.0.4', destinationPort: 1433 } as Flow, 'Allow', 'r5'],
    ['an explicit address is never in an unresolved tag', tcp('20.38.0.1', '10.0.0.4', 1433), 'Deny', 'DenyAllInBound'],
    ['Esp is matched by * rules only', { direction: 'Inbound', protocol: 'Esp', sourceIp: '10.0.9.9', destinationIp: '10.0.0.4' } as Flow, 'Allow', 'AllowVnetInBound'],
  ])('%s', (_name, flow, access, rule) => {
    const decision = evaluateFlow(web, flow, ctx);
    expect({ access: decision.access, rule: decision.rule.rule }).toEqual({ access, rule });
  });

  it('throws on a flow that was not validated', () => {
    expect(() => evaluateFlow(web, tcp('1.2.3.4', 'Internet', 22), ctx)).toThrow(/names a set of addresses/);
    expect(() => evaluateFlow(web, tcp('1.2.3.4', '2001:db8::1', 22), ctx)).toThrow(RangeError);
  });

  it('turns flows into evidence', () => {
    expect(toWitness({ direction: 'Outbound', protocol: 'Icmp', sourceIp: '10.0.0.4', destinationIp: '8.8.8.8' })).toEqual({
      direction: 'Outbound',
      protocol: 'Icmp',
      source: '10.0.0.4',
      sourcePort: null,
      destination: '8.8.8.8',
      destinationPort: null,
    });
  });
});

describe('composition of subnet and NIC NSGs', () => {
  const ctx = createContext({ virtualNetworkPrefixes: ['10.0.0.0/16'] });
  const subnet = nsg('subnet-nsg', [
    { priority: 100, access: 'Allow', protocol: 'Tcp', destinationPortRanges: ['22', '443'] },
    { priority: 100, direction: 'Outbound', access: 'Deny', protocol: 'Tcp', destinationPortRange: '25' },
  ]);
  const nic = nsg('nic-nsg', [
    { priority: 100, access: 'Deny', protocol: 'Tcp', destinationPortRange: '22' },
    { priority: 200, access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: 'Internet', destinationPortRange: '443' },
  ]);
  const layers: Layers = { subnet: { nsg: subnet, ctx }, nic: { nsg: nic, ctx } };
  const chain = (flow: Flow, l: Layers = layers) => {
    const d = evaluateComposed(l, flow);
    return `${d.access} ${d.decidedBy.map((r) => `${r.nsgName}/${r.rule}`).join(' > ')}`;
  };

  it.each([
    ['inbound: subnet first, then NIC; both allow', tcp('8.8.8.8', '10.0.0.4', 443), 'Allow subnet-nsg/r0 > nic-nsg/r1'],
    ['inbound: the NIC denies what the subnet allows', tcp('8.8.8.8', '10.0.0.4', 22), 'Deny subnet-nsg/r0 > nic-nsg/r0'],
    ['inbound: a subnet deny stops processing', tcp('8.8.8.8', '10.0.0.4', 80), 'Deny subnet-nsg/DenyAllInBound'],
    ['outbound: NIC first, then subnet', tcp('10.0.0.4', '8.8.8.8', 25, 'Outbound'), 'Deny nic-nsg/AllowInternetOutBound > subnet-nsg/r1'],
    ['outbound: both allow', tcp('10.0.0.4', '8.8.8.8', 443, 'Outbound'), 'Allow nic-nsg/AllowInternetOutBound > subnet-nsg/AllowInternetOutBound'],
  ])('%s', (_name, flow, expected) => {
    expect(chain(flow)).toBe(expected);
  });

  it('a missing NSG allows everything', () => {
    expect(chain(tcp('8.8.8.8', '10.0.0.4', 80), { nic: { nsg: nic, ctx } })).toBe('Deny nic-nsg/DenyAllInBound');
    expect(chain(tcp('8.8.8.8', '10.0.0.4', 443), { subnet: { nsg: subnet, ctx } })).toBe('Allow subnet-nsg/r0');
    expect(chain(tcp('8.8.8.8', '10.0.0.4', 80), {})).toBe('Allow ');
  });

  it('the composed region: every part names both NSGs where both decide, with a witness that decides the same', () => {
    const analysis = analyzeRegion(layers, {
      direction: 'Inbound',
      protocol: 'Tcp',
      remote: namedSet(ctx, 'Internet'),
      local: addressesFromPrefixes(['10.0.0.4']).set,
    });
    for (const part of analysis.parts) {
      const decision = evaluateComposed(layers, part.witness);
      expect(decision.access).toBe(part.access);
      expect(decision.decidedBy).toEqual(part.decidedBy);
    }
    const allowed = reachablePorts(layers, { direction: 'Inbound', protocol: 'Tcp', remote: namedSet(ctx, 'Internet'), local: addressesFromPrefixes(['10.0.0.4']).set });
    // 443 from anywhere; 22 is denied by the NIC; other ports by the subnet except for the probe address (also 443).
    expect(allowed.broadPorts).toEqual([443, 443]);
  });
});

describe('rule decisions and shadowing', () => {
  const asgId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/empty';
  const rules = nsg('hygiene', [
    { priority: 100, access: 'Deny', protocol: 'Tcp', destinationPortRange: '0-1023' },
    { priority: 110, access: 'Deny', protocol: 'Tcp', destinationPortRange: '1024-65535' },
    { priority: 120, access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: 'Internet', destinationPortRange: '1000-2000' },
    { priority: 130, access: 'Allow', protocol: '*', sourceAddressPrefix: 'Internet', destinationPortRange: '1000-2000' },
    { priority: 140, access: 'Allow', protocol: 'Icmp', destinationPortRange: '8' },
    { priority: 150, access: 'Allow', sourceAddressPrefix: undefined, sourceApplicationSecurityGroups: [{ id: asgId }] },
    { priority: 160, access: 'Allow', sourceAddressPrefix: '10.0.0.0/8', destinationAddressPrefix: '2001:db8::/32' },
  ]);
  const ctx = createContext();
  const decisions = ruleDecisions(rules, ctx);
  const byName = new Map(decisions.map((d) => [`${d.rule.direction}/${d.rule.rule}`, d]));

  it('a rule covered by several earlier rules together is shadowed by them', () => {
    expect(byName.get('Inbound/r2')).toMatchObject({ decides: false, reason: 'shadowed' });
    const shadowers = byName.get('Inbound/r2');
    expect(shadowers && !shadowers.decides && shadowers.shadowedBy.map((r) => r.rule)).toEqual(['r0', 'r1']);
  });

  it('a * rule still decides the protocols the earlier rules leave: witness is UDP', () => {
    const r3 = byName.get('Inbound/r3');
    expect(r3?.decides).toBe(true);
    if (r3?.decides) {
      expect(r3.witness.protocol).toBe('Udp');
      expect(evaluateFlow(rules, r3.witness, ctx).rule.rule).toBe('r3');
    }
  });

  it.each(['Inbound/r4', 'Inbound/r5', 'Inbound/r6'])('%s matches no flow at all', (name) => {
    expect(byName.get(name)).toMatchObject({ decides: false, reason: 'matchesNothing', shadowedBy: [] });
  });

  it('default rules are judged too; shadowedRules lists custom rules only', () => {
    expect(byName.get('Inbound/DenyAllInBound')?.decides).toBe(true);
    expect(shadowedRules(rules, ctx).map((d) => d.rule.rule)).toEqual(['r2', 'r4', 'r5', 'r6']);
  });

  it('names empty ASGs and unresolved tags in analyses', () => {
    const analysis = analyzeRegion({ nsg: rules, ctx }, { direction: 'Inbound', protocol: 'Udp', remote: namedSet(ctx, '*'), local: namedSet(ctx, '*') });
    expect(analysis.emptyAsgs).toEqual([asgId]);
    expect(analysis.assumptions).toHaveLength(1);
  });
});
