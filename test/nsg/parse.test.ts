import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RULE_NAMES,
  NSG_LIMITS,
  addressToCidrs,
  flattenResource,
  formatPorts,
  mergeRules,
  parseNsg,
  parseSecurityRule,
  type Nsg,
  type SecurityRule,
} from '../../lib/nsg/index.js';

const NSG_ID = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/web-nsg';

/** A valid rule's fields; tests override one field at a time. */
function fields(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    priority: 100,
    direction: 'Inbound',
    access: 'Allow',
    protocol: 'Tcp',
    sourceAddressPrefix: '*',
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRange: '22',
    ...overrides,
  };
}

function restNsg(rules: Record<string, unknown>[]): unknown {
  return {
    id: NSG_ID,
    name: 'web-nsg',
    type: 'Microsoft.Network/networkSecurityGroups',
    properties: { securityRules: rules.map((r, i) => ({ name: (r['name'] as string | undefined) ?? `rule${i}`, properties: r })) },
  };
}

function ok(raw: unknown): Nsg {
  const result = parseNsg(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.nsg;
}

function custom(nsg: Nsg): SecurityRule[] {
  return [...nsg.inbound, ...nsg.outbound].filter((r) => !r.isDefault);
}

describe('flattenResource', () => {
  it.each([
    ['merges properties up', { id: 'a', properties: { access: 'Allow' } }, { id: 'a', access: 'Allow' }],
    ['top-level id, name and type win', { id: 'a', name: 'n', type: 't', properties: { id: 'b', name: 'm', type: 'u', x: 1 } }, { id: 'a', name: 'n', type: 't', x: 1 }],
    ['properties win over other top-level fields', { etag: 'e', provisioningState: 'x', properties: { provisioningState: 'Succeeded' } }, { etag: 'e', provisioningState: 'Succeeded' }],
    ['flattened input stays as it is', { id: 'a', access: 'Deny' }, { id: 'a', access: 'Deny' }],
  ])('%s', (_name, raw, expected) => {
    expect(flattenResource(raw)).toEqual(expected);
  });

  it('is undefined for non-objects', () => {
    expect(flattenResource([])).toBeUndefined();
    expect(flattenResource('x')).toBeUndefined();
    expect(flattenResource(null)).toBeUndefined();
  });
});

describe('parseNsg: shapes and merging', () => {
  it('reads the REST shape and the flattened shape alike', () => {
    const rule = fields({ sourceAddressPrefixes: ['1.2.3.0/24'], sourceAddressPrefix: undefined });
    const rest = ok(restNsg([{ ...rule, name: 'ssh' }]));
    const flat = ok({ id: NSG_ID, name: 'web-nsg', securityRules: [{ name: 'ssh', ...rule }] });
    expect(flat).toEqual(rest);
    expect(rest.name).toBe('web-nsg');
  });

  it('merges singular, plural and ASG fields into one set, case-insensitively', () => {
    const nsg = ok(
      restNsg([
        fields({
          access: 'ALLOW',
          direction: 'inbound',
          protocol: 'TCP',
          sourceAddressPrefix: '10.0.0.0/24',
          sourceAddressPrefixes: ['10.0.1.0/24', 'internet'],
          sourceApplicationSecurityGroups: [{ id: '/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/applicationSecurityGroups/Web/' }],
          destinationPortRange: '80',
          destinationPortRanges: ['443', '8000-8100'],
        }),
      ]),
    );
    const [rule] = custom(nsg);
    expect(rule?.access).toBe('Allow');
    expect(rule?.direction).toBe('Inbound');
    expect(rule?.protocol).toBe('Tcp');
    expect(rule?.source.map((t) => t.kind)).toEqual(['prefix', 'prefix', 'tag', 'asg']);
    expect(rule?.source[2]).toEqual({ kind: 'tag', text: 'internet', key: 'internet' });
    expect(rule?.source[3]).toMatchObject({ kind: 'asg', id: '/subscriptions/s/resourcegroups/rg/providers/microsoft.network/applicationsecuritygroups/web' });
    expect(formatPorts(rule?.destinationPorts ?? [])).toEqual(['80', '443', '8000-8100']);
  });

  it('accepts * and Any for addresses, protocol and ports, and the effective-rules spelling All', () => {
    const nsg = ok(restNsg([fields({ protocol: 'Any', sourceAddressPrefix: 'Any', destinationPortRange: '*' }), fields({ priority: 101, protocol: 'All' })]));
    expect(custom(nsg).map((r) => r.protocol)).toEqual(['*', '*']);
    expect(custom(nsg)[0]?.source).toEqual([{ kind: 'any', text: 'Any' }]);
  });

  it('orders rules by priority per direction and adds the six default rules', () => {
    const nsg = ok(restNsg([fields({ priority: 300 }), fields({ priority: 200 }), fields({ priority: 100, direction: 'Outbound' })]));
    expect(nsg.inbound.map((r) => `${r.name}@${r.priority}`)).toEqual([
      'rule1@200',
      'rule0@300',
      'AllowVnetInBound@65000',
      'AllowAzureLoadBalancerInBound@65001',
      'DenyAllInBound@65500',
    ]);
    expect(nsg.outbound.map((r) => r.name)).toEqual(['rule2', 'AllowVnetOutBound', 'AllowInternetOutBound', 'DenyAllOutBound']);
    expect([...nsg.inbound, ...nsg.outbound].filter((r) => r.isDefault).map((r) => r.name).sort()).toEqual([...DEFAULT_RULE_NAMES].sort());
    expect(nsg.inbound[2]?.id).toBe(`${NSG_ID}/defaultSecurityRules/AllowVnetInBound`);
  });

  it('uses default rules the input lists, and adds only the missing ones', () => {
    const listed = { name: 'DenyAllInBound', properties: { ...fields({ priority: 65500, access: 'Deny', destinationPortRange: '*' }), description: 'as listed' } };
    const nsg = ok({ id: NSG_ID, properties: { securityRules: [], defaultSecurityRules: [listed] } });
    const denyAll = nsg.inbound.find((r) => r.name === 'DenyAllInBound');
    expect(denyAll?.description).toBe('as listed');
    expect(denyAll?.protocol).toBe('Tcp');
    expect(nsg.inbound.filter((r) => r.isDefault)).toHaveLength(3);
  });

  it('derives the NSG id from its rules when the input is a --query projection without one', () => {
    const nsg = ok({ securityRules: [{ name: 'a', id: `${NSG_ID}/securityRules/a`, ...fields() }] });
    expect(nsg.id).toBe(NSG_ID);
    expect(nsg.name).toBe('web-nsg');
  });

  it('warns about a prefix with host bits set and reads it as its network', () => {
    const result = parseNsg(restNsg([fields({ sourceAddressPrefix: '10.0.0.5/24' })]));
    expect(result.ok && result.warnings).toEqual([
      { resourceId: NSG_ID, rule: 'rule0', field: 'sourceAddressPrefix', message: "rule rule0: prefix '10.0.0.5/24' has host bits set; read as its network" },
    ]);
    if (result.ok) {
      const term = custom(result.nsg)[0]?.source[0];
      expect(term?.kind === 'prefix' && addressToCidrs(term.set)).toEqual(['10.0.0.0/24']);
    }
  });

  it('rules repeating one value share its parse, and each still gets its own warning and error', () => {
    const result = parseNsg(
      restNsg([
        fields({ priority: 100, sourceAddressPrefix: '10.0.0.5/24', destinationPortRange: '8080' }),
        fields({ priority: 110, sourceAddressPrefix: '10.0.0.5/24', destinationPortRange: '8080' }),
        fields({ priority: 120, sourceAddressPrefixes: ['10.0.0.5/24'], destinationPortRanges: ['8080'], sourceAddressPrefix: undefined, destinationPortRange: undefined }),
      ]),
    );
    expect(result.ok && result.warnings.map((w) => [w.rule, w.field])).toEqual([
      ['rule0', 'sourceAddressPrefix'],
      ['rule1', 'sourceAddressPrefix'],
      ['rule2', 'sourceAddressPrefixes'],
    ]);
    if (result.ok) {
      const [a, b, c] = custom(result.nsg);
      expect(a?.source).toBe(b?.source);
      expect(a?.destinationPorts).toBe(c?.destinationPorts);
      expect(c?.source).toEqual(a?.source);
      expect(formatPorts(c?.destinationPorts ?? [])).toEqual(['8080']);
    }
    // A bad value is never taken from the shared parses: every rule naming it fails on its own field.
    const bad = parseNsg(restNsg([fields({ priority: 100, destinationPortRange: '70000' }), fields({ priority: 110, destinationPortRange: '70000' })]));
    expect(bad.ok ? [] : bad.errors.map((e) => [e.rule, e.field])).toEqual([
      ['rule0', 'destinationPortRange'],
      ['rule1', 'destinationPortRange'],
    ]);
  });
});

describe('parseNsg: every problem named by resource, rule and field', () => {
  it.each([
    ['unknown protocol', fields({ protocol: 'Gre' }), 'protocol', 'protocol "Gre" is not Tcp, Udp, Icmp, Esp, Ah or *'],
    ['port 70000', fields({ destinationPortRange: '70000' }), 'destinationPortRange', 'port 70000 is outside 0-65535'],
    ['port range ending before it starts', fields({ sourcePortRange: '30-20' }), 'sourcePortRange', "port range '30-20' ends before it starts"],
    ['bad port in the plural field', fields({ destinationPortRanges: ['80', 'x'] }), 'destinationPortRanges', "'x' is not a port"],
    ['priority 50', fields({ priority: 50 }), 'priority', 'priority 50 is outside 100-4096'],
    ['priority 4097', fields({ priority: 4097 }), 'priority', 'priority 4097 is outside 100-4096'],
    ['priority not an integer', fields({ priority: 'high' }), 'priority', 'priority "high" is not an integer'],
    ['malformed CIDR', fields({ sourceAddressPrefix: '10.0.0.0/33' }), 'sourceAddressPrefix', "'10.0.0.0/33' has an invalid prefix length"],
    ['malformed IP', fields({ destinationAddressPrefixes: ['10.0.0.300'] }), 'destinationAddressPrefixes', "'10.0.0.300' is not an IPv4 or IPv6 address"],
    ['not an address at all', fields({ sourceAddressPrefix: 'my office' }), 'sourceAddressPrefix', "'my office' is not an address, a CIDR prefix, * or a service tag name"],
    ['missing access', fields({ access: undefined }), 'access', 'access is missing'],
    ['bad access', fields({ access: 'Permit' }), 'access', 'access "Permit" is neither Allow nor Deny'],
    ['missing direction', fields({ direction: undefined }), 'direction', 'direction is missing'],
    ['missing priority', fields({ priority: undefined }), 'priority', 'priority is missing'],
    ['missing protocol', fields({ protocol: undefined }), 'protocol', 'protocol is missing'],
    ['missing source address', fields({ sourceAddressPrefix: undefined, sourceAddressPrefixes: [] }), 'sourceAddressPrefix', 'sourceAddressPrefix is missing'],
    ['missing destination port', fields({ destinationPortRange: null, destinationPortRanges: [] }), 'destinationPortRange', 'destinationPortRange is missing'],
    ['ASG without id', fields({ sourceAddressPrefix: undefined, sourceApplicationSecurityGroups: [{ name: 'web' }] }), 'sourceApplicationSecurityGroups', 'has no id'],
  ])('%s', (_name, rule, field, message) => {
    const result = parseNsg(restNsg([{ ...rule, name: 'bad-rule' }]));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ resourceId: NSG_ID, rule: 'bad-rule', field });
    expect(result.errors[0]?.message).toContain(message);
    expect(result.errors[0]?.message).toContain('bad-rule');
  });

  it('reports a duplicate priority within a direction on the later rule', () => {
    const result = parseNsg(restNsg([fields({ name: 'first', priority: 200 }), fields({ name: 'second', priority: 200 }), fields({ name: 'other-way', priority: 200, direction: 'Outbound' })]));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toEqual([
        { resourceId: NSG_ID, rule: 'second', field: 'priority', message: 'rule second: priority 200 is already used by rule first (Inbound)' },
      ]);
    }
  });

  it('collects every problem of the NSG at once', () => {
    const result = parseNsg(restNsg([fields({ name: 'a', protocol: 'Gre', priority: 50 }), fields({ name: 'b', destinationPortRange: '99999' })]));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.map((e) => `${e.rule}.${e.field}`)).toEqual(['a.protocol', 'a.priority', 'b.destinationPortRange']);
    }
  });

  it('names unnamed rules by position, and input that is no NSG', () => {
    const unnamed = parseNsg({ id: NSG_ID, securityRules: [fields({ protocol: 'x' })] });
    expect(!unnamed.ok && unnamed.errors[0]).toMatchObject({ rule: '(rule 1)', field: 'name' });
    const notNsg = parseNsg({ id: '/x/providers/Microsoft.Network/virtualNetworks/v', type: 'Microsoft.Network/virtualNetworks' });
    expect(!notNsg.ok && notNsg.errors[0]).toMatchObject({ field: 'type' });
    const noId = parseNsg({ securityRules: [] });
    expect(!noId.ok && noId.errors[0]).toMatchObject({ field: 'id' });
    expect(parseNsg(42)).toEqual({ ok: false, errors: [{ resourceId: '', message: 'the NSG is not a JSON object' }] });
    const badList = parseNsg({ id: NSG_ID, properties: { securityRules: {} } });
    expect(!badList.ok && badList.errors[0]).toMatchObject({ resourceId: NSG_ID, field: 'securityRules' });
  });
});

describe('standalone security rules', () => {
  const ruleId = `${NSG_ID}/securityRules/allow-https`;
  it('parses a child rule resource and names its NSG', () => {
    const result = parseSecurityRule({ id: ruleId, name: 'allow-https', type: 'Microsoft.Network/networkSecurityGroups/securityRules', properties: fields({ priority: 150, destinationPortRange: '443' }) });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.nsgId).toBe(NSG_ID);
    expect(result.rule.isDefault).toBe(false);
  });

  it('reports a bad child rule on its NSG', () => {
    const result = parseSecurityRule({ id: ruleId, name: 'allow-https', properties: fields({ priority: 5000 }) });
    expect(result).toEqual({
      ok: false,
      errors: [{ resourceId: NSG_ID, rule: 'allow-https', field: 'priority', message: 'rule allow-https: priority 5000 is outside 100-4096' }],
    });
  });

  it('merges child rules into their NSG, replacing same-named ones and checking priorities again', () => {
    const nsg = ok(restNsg([fields({ name: 'ssh', priority: 100 })]));
    const https = parseSecurityRule({ id: ruleId, name: 'allow-https', ...fields({ priority: 150, destinationPortRange: '443' }) });
    const sshAgain = parseSecurityRule({ name: 'ssh', ...fields({ priority: 120, access: 'Deny' }) });
    if (!https.ok || !sshAgain.ok) throw new Error('fixtures');
    const merged = mergeRules(nsg, [https.rule, sshAgain.rule]);
    expect(merged.ok && merged.nsg.inbound.map((r) => `${r.name}@${r.priority}:${r.access}`).slice(0, 2)).toEqual(['ssh@120:Deny', 'allow-https@150:Allow']);
    const clash = parseSecurityRule({ name: 'clash', ...fields({ priority: 100 }) });
    if (!clash.ok) throw new Error('fixture');
    const bad = mergeRules(nsg, [clash.rule]);
    expect(!bad.ok && bad.errors[0]).toMatchObject({ rule: 'clash', field: 'priority' });
  });
});

describe("Azure's documented NSG limits", () => {
  const rules = (count: number, over: (i: number) => Record<string, unknown> = () => ({})) =>
    Array.from({ length: count }, (_, i) => fields({ priority: 100 + (i >> 1), direction: i % 2 === 0 ? 'Inbound' : 'Outbound', ...over(i) }));
  const v6 = (i: number) => `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`;
  const asgs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/asg-${i}` }));

  it('accepts an NSG at every limit', () => {
    expect(custom(ok(restNsg(rules(NSG_LIMITS.rulesPerNsg)))).length).toBe(1000);
    const prefixes = Array.from({ length: 4000 }, (_, i) => v6(i));
    expect(ok(restNsg([fields({ sourceAddressPrefix: undefined, sourceAddressPrefixes: prefixes })]))).toBeDefined();
    expect(ok(restNsg([fields({ sourceAddressPrefix: undefined, sourceApplicationSecurityGroups: asgs(10) })]))).toBeDefined();
  });

  it.each([
    ['1,001 rules', () => rules(1001), 'securityRules', /1001 security rules; Azure allows at most 1000/],
    ['4,001 source prefixes over two rules', () => [
      fields({ sourceAddressPrefix: undefined, sourceAddressPrefixes: Array.from({ length: 2000 }, (_, i) => v6(i)) }),
      fields({ priority: 200, sourceAddressPrefix: undefined, sourceAddressPrefixes: Array.from({ length: 2001 }, (_, i) => v6(5000 + i)) }),
    ], 'sourceAddressPrefixes', /4001 source addresses and ranges; Azure allows at most 4000 per NSG/],
    ['11 ASGs in one rule', () => [fields({ destinationAddressPrefix: undefined, destinationApplicationSecurityGroups: asgs(11) })], 'destinationApplicationSecurityGroups', /at most 10 per rule/],
    ['101 ASGs in one NSG', () => rules(11, (i) => ({ sourceAddressPrefix: undefined, sourceApplicationSecurityGroups: asgs(110).slice(i * 10, i * 10 + 10) })), 'applicationSecurityGroups', /110 application security groups; Azure allows at most 100/],
  ])('refuses %s with a clear error', (_name, build, field, message) => {
    const result = parseNsg(restNsg(build()));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toContainEqual(expect.objectContaining({ resourceId: NSG_ID, field, message: expect.stringMatching(message) }));
  });
});
