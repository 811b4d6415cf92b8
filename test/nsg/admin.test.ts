/**
 * Security admin rules in the engine: reading them in the REST shapes of the corpus, bad input
 * named by rule and field, and decisions that name the admin rule (DESIGN §3).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  adminRuleSet,
  createContext,
  evaluateComposed,
  parseAdminRule,
  parseNsg,
  type AdminRule,
  type Flow,
} from '../../lib/nsg/index.js';
import { CORPUS, readJson } from '../estate/corpus.js';

const EXAMPLES = resolve(CORPUS, 'rest-api-examples/2024-07-01');

function bodies(file: string): unknown[] {
  const body = (readJson(resolve(EXAMPLES, file)) as { responses: Record<string, { body?: unknown }> }).responses['200']?.body;
  const value = (body as { value?: unknown[] } | undefined)?.value;
  return Array.isArray(value) ? value : [body];
}

function rule(properties: Record<string, unknown>, name = 'r'): AdminRule {
  const result = parseAdminRule({ name, properties: { direction: 'Inbound', protocol: 'Tcp', sources: [{ addressPrefix: '*' }], destinations: [{ addressPrefix: '*' }], ...properties } });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.rule;
}

const ctx = createContext({ virtualNetworkPrefixes: ['10.0.0.0/16'] });
const open = parseNsg({ id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/open', securityRules: [{ name: 'ssh', priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '22' }] });
const closed = parseNsg({ id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/closed', securityRules: [] });
const ssh: Flow = { direction: 'Inbound', protocol: 'Tcp', sourceIp: '203.0.113.9', sourcePort: 50000, destinationIp: '10.0.1.4', destinationPort: 22 };

describe('parseAdminRule', () => {
  it.each(['NetworkManagerAdminRuleGet.json', 'NetworkManagerDefaultAdminRuleGet.json', 'NetworkManagerEffectiveSecurityAdminRulesList.json', 'NetworkManagerActiveSecurityAdminRulesList.json'])(
    'reads the rules of %s',
    (file) => {
      for (const raw of bodies(file)) {
        const result = parseAdminRule(raw);
        expect(result.ok, JSON.stringify(result)).toBe(true);
      }
    },
  );

  it.each([
    [{ access: 'Maybe' }, 'access'],
    [{ access: 'Deny', priority: 0 }, 'priority'],
    [{ access: 'Deny', priority: 4097 }, 'priority'],
    [{ access: 'Deny', priority: 10, sources: [] }, 'sources'],
    [{ access: 'Deny', priority: 10, destinations: [{ addressPrefix: '10.0.0.0/33' }] }, 'destinations[0].addressPrefix'],
    [{ access: 'Deny', priority: 10, destinationPortRanges: ['70000'] }, 'destinationPortRanges'],
    [{ access: 'Deny', priority: 10, protocol: 'Gre' }, 'protocol'],
    [{ access: 'Deny', priority: 10, sources: [{ addressPrefixType: 'ServiceTag', addressPrefix: '10.0.0.0/8' }] }, 'sources[0].addressPrefixType'],
    [{ access: 'Deny', priority: 10, sources: [{ addressPrefixType: 'IPPrefix', addressPrefix: 'Internet' }] }, 'sources[0].addressPrefixType'],
    [{ access: 'Deny', priority: 10, destinations: [{ addressPrefixType: 'Fqdn', addressPrefix: '*' }] }, 'destinations[0].addressPrefixType'],
  ])('%j is an error naming the field %s', (properties, field) => {
    const result = parseAdminRule({ name: 'bad', properties: { direction: 'Inbound', protocol: 'Tcp', sources: [{ addressPrefix: '*' }], destinations: [{ addressPrefix: '*' }], ...properties } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toContainEqual(expect.objectContaining({ field, message: expect.stringMatching(/admin rule bad/) }));
  });
});

describe('admin rules decide before the NSGs', () => {
  if (!open.ok || !closed.ok) throw new Error('fixture NSGs');
  const nsgs = { subnet: { nsg: open.nsg, ctx } };
  const withAdmin = (rules: AdminRule[]) => ({ ...nsgs, admin: { nsg: adminRuleSet('/subscriptions/s/providers/admin', 'admin', rules), ctx } });

  it('Deny: SSH an NSG allows is denied, and the decision names the admin rule', () => {
    const decision = evaluateComposed(withAdmin([rule({ access: 'Deny', priority: 10, destinationPortRanges: ['22', '3389'] }, 'deny-ssh-rdp')]), ssh);
    expect(decision).toMatchObject({ access: 'Deny', decidedBy: [{ rule: 'deny-ssh-rdp', priority: 10, nsgName: 'admin' }] });
  });

  it('AlwaysAllow: allowed with the NSGs skipped, even when the NSG denies it', () => {
    const decision = evaluateComposed({ subnet: { nsg: closed.nsg, ctx }, admin: withAdmin([rule({ access: 'AlwaysAllow', priority: 5, sources: [{ addressPrefix: '203.0.113.0/24' }] }, 'platform')]).admin }, ssh);
    expect(decision).toMatchObject({ access: 'Allow', decidedBy: [{ rule: 'platform' }] });
  });

  it('Allow passes on to the NSGs; so does a flow no admin rule matches', () => {
    const allow = evaluateComposed({ subnet: { nsg: closed.nsg, ctx }, admin: withAdmin([rule({ access: 'Allow', priority: 5 }, 'pass')]).admin }, ssh);
    expect(allow.access).toBe('Deny');
    expect(allow.decidedBy.map((r) => r.rule)).toEqual(['pass', 'DenyAllInBound']);
    const none = evaluateComposed(withAdmin([rule({ access: 'Deny', priority: 5, destinationPortRanges: ['3389'] }, 'rdp')]), ssh);
    expect(none.decidedBy.map((r) => r.rule)).toEqual(['ssh']);
  });

  it('lowest priority number first, across the set', () => {
    const decision = evaluateComposed(withAdmin([rule({ access: 'Deny', priority: 200 }, 'late-deny'), rule({ access: 'AlwaysAllow', priority: 100 }, 'early-allow')]), ssh);
    expect(decision.decidedBy.map((r) => r.rule)).toEqual(['early-allow']);
  });
});
