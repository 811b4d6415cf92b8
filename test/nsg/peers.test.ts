/**
 * The cases DESIGN's introduction says string-matching scanners get wrong, each with the answer
 * Azure gives: first match by priority over address, port and protocol sets, default rules
 * included, and "from the Internet" judged by how broad the allowed Internet addresses are.
 */
import { describe, expect, it } from 'vitest';
import {
  type Nsg,
  addressesFromPrefixes,
  createContext,
  evaluateFlow,
  formatPorts,
  internetExposure,
  parseNsg,
  parseServiceTags,
  portContains,
  ruleDecisions,
  type ServiceTagData,
} from '../../lib/nsg/index.js';

const NIC = addressesFromPrefixes(['10.0.1.4']).set;

function nsgWith(rules: Record<string, unknown>[]): Nsg {
  const result = parseNsg({
    id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/peer-case',
    properties: {
      securityRules: rules.map((r, i) => ({
        name: (r['name'] as string | undefined) ?? `rule${i}`,
        properties: { direction: 'Inbound', protocol: 'Tcp', sourcePortRange: '*', destinationAddressPrefix: '*', ...r, name: undefined },
      })),
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.nsg;
}

function exposure(nsg: Nsg, options: { serviceTags?: ServiceTagData } = {}) {
  const ctx = createContext({ virtualNetworkPrefixes: ['10.0.0.0/16'], ...options });
  return internetExposure({ nsg, ctx }, { direction: 'Inbound', protocol: 'Tcp', local: NIC });
}

describe('peer failure cases', () => {
  it('a higher-priority Deny shadows an Allow of 22: not exposed', () => {
    const nsg = nsgWith([
      { name: 'deny-ssh', priority: 100, access: 'Deny', sourceAddressPrefix: '*', destinationPortRange: '22' },
      { name: 'allow-ssh', priority: 200, access: 'Allow', sourceAddressPrefix: 'Internet', destinationPortRange: '22' },
    ]);
    const result = exposure(nsg);
    expect(portContains(result.broadPorts, 22)).toBe(false);
    // Nothing reaches 22; every other port only from the load balancer's probe address.
    expect(portContains(result.ports, 22)).toBe(false);
    expect(formatPorts(result.ports)).toEqual(['0-21', '23-65535']);
    expect(result.reach.every((r) => r.count.ipv4 === 1 && !r.broad)).toBe(true);
    const allow = ruleDecisions(nsg, createContext()).find((d) => d.rule.rule === 'allow-ssh');
    expect(allow).toMatchObject({ decides: false, reason: 'shadowed', shadowedBy: [{ rule: 'deny-ssh', priority: 100 }] });
  });

  it('`*` destination ports: exposed on every port, 22 included', () => {
    const result = exposure(nsgWith([{ priority: 100, access: 'Allow', sourceAddressPrefix: '*', destinationPortRange: '*' }]));
    expect(formatPorts(result.broadPorts)).toEqual(['*']);
    const reach = result.reach.find((r) => portContains(r.destinationPorts, 22));
    expect(reach?.decidedBy).toEqual([[expect.objectContaining({ rule: 'rule0', priority: 100 })]]);
    expect(reach?.witness).toMatchObject({ direction: 'Inbound', protocol: 'Tcp', destinationIp: '10.0.1.4' });
  });

  it('port lists ["20-23", "3389"]: SSH and RDP exposed', () => {
    const result = exposure(nsgWith([{ priority: 100, access: 'Allow', sourceAddressPrefix: 'Internet', destinationPortRanges: ['20-23', '3389'] }]));
    expect(formatPorts(result.broadPorts)).toEqual(['20-23', '3389']);
    const ssh = result.reach.find((r) => portContains(r.destinationPorts, 22));
    expect(ssh?.witness.destinationPort).toBe(20);
  });

  it('sources 0.0.0.0/1 + 128.0.0.0/1: every IPv4 address, exposed', () => {
    const result = exposure(nsgWith([{ priority: 100, access: 'Allow', sourceAddressPrefixes: ['0.0.0.0/1', '128.0.0.0/1'], destinationPortRange: '3389' }]));
    expect(formatPorts(result.broadPorts)).toEqual(['3389']);
    expect(result.reach.find((r) => portContains(r.destinationPorts, 3389))?.count.ipv4).toBeGreaterThan(2 ** 31);
  });

  it('lower-case `internet`: the Internet tag, exposed', () => {
    const result = exposure(nsgWith([{ priority: 100, access: 'Allow', sourceAddressPrefix: 'internet', destinationPortRange: '22' }]));
    expect(formatPorts(result.broadPorts)).toEqual(['22']);
    expect(result.unresolvedTags).toEqual([]);
  });

  it('`::/0`: every IPv6 address, exposed', () => {
    // IPv6 sources reach no IPv4 address.
    const result = exposure(nsgWith([{ priority: 100, access: 'Allow', sourceAddressPrefix: '::/0', destinationPortRange: '22' }]));
    expect(result.broadPorts).toEqual([]);
    const v6 = internetExposure(
      { nsg: nsgWith([{ priority: 100, access: 'Allow', sourceAddressPrefix: '::/0', destinationPortRange: '22' }]), ctx: createContext() },
      { direction: 'Inbound', protocol: 'Tcp', local: addressesFromPrefixes(['2001:db8::4']).set },
    );
    expect(formatPorts(v6.broadPorts)).toEqual(['22']);
    expect(v6.reach[0]?.count.ipv6).toBeGreaterThan(2n ** 96n);
    expect(v6.reach[0]?.witness.sourceIp).toMatch(/^2/);
  });

  it('default AllowInternetOutBound: with only default rules, egress to the Internet is allowed', () => {
    const nsg = nsgWith([]);
    const ctx = createContext({ virtualNetworkPrefixes: ['10.0.0.0/16'] });
    const egress = internetExposure({ nsg, ctx }, { direction: 'Outbound', protocol: 'Tcp', local: NIC });
    expect(formatPorts(egress.broadPorts)).toEqual(['*']);
    expect(egress.reach.flatMap((r) => r.decidedBy.flat().map((d) => d.rule))).toEqual(['AllowInternetOutBound']);
    const flow = evaluateFlow(nsg, { direction: 'Outbound', protocol: 'Udp', sourceIp: '10.0.1.4', sourcePort: 50000, destinationIp: '8.8.8.8', destinationPort: 53 }, ctx);
    expect(flow).toMatchObject({ access: 'Allow', rule: { rule: 'AllowInternetOutBound', priority: 65001, isDefault: true } });
  });
});

describe('what a restriction looks like', () => {
  it('a few public ranges (an office, a partner) are reachable but not an exposure', () => {
    const result = exposure(nsgWith([{ priority: 100, access: 'Allow', sourceAddressPrefixes: ['203.0.113.0/24', '198.51.100.0/24'], destinationPortRange: '22' }]));
    expect(result.broadPorts).toEqual([]);
    // The two /24s and the load balancer's probe address.
    expect(result.reach.find((r) => portContains(r.destinationPorts, 22))).toMatchObject({ broad: false, count: { ipv4: 513, ipv6: 0n } });
  });

  it('AzureCloud (any Azure customer) is an exposure', () => {
    const serviceTags = parseServiceTags({
      changeNumber: 1,
      values: [{ name: 'AzureCloud', properties: { addressPrefixes: ['20.0.0.0/8', '40.64.0.0/10', '52.0.0.0/8'] } }],
    });
    if (!serviceTags.ok) throw new Error(serviceTags.error);
    const result = exposure(nsgWith([{ priority: 100, access: 'Allow', sourceAddressPrefix: 'AzureCloud', destinationPortRange: '3389' }]), { serviceTags: serviceTags.data });
    expect(formatPorts(result.broadPorts)).toEqual(['3389']);
    expect(result.unresolvedTags).toEqual([]);
  });

  it('an unresolved public tag counts as broad, and is named', () => {
    const result = exposure(nsgWith([{ priority: 100, access: 'Allow', sourceAddressPrefix: 'AzureCloud', destinationPortRange: '3389' }]));
    expect(formatPorts(result.broadPorts)).toEqual(['3389']);
    expect(result.unresolvedTags).toEqual(['AzureCloud']);
    expect(result.reach.find((r) => portContains(r.destinationPorts, 3389))?.witness.sourceIp).toBe('AzureCloud');
  });
});
