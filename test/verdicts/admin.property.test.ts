/**
 * Security admin rules composed with subnet and NIC NSGs, at the estate level, against a
 * brute-force reference written here: random admin rule sets (Allow, Deny and AlwaysAllow, any
 * priority 1–4096, service tags and prefixes, ports) in one to three collections over random
 * subnet and NIC NSGs. The reference decides concrete flows as Azure documents it — admin rules
 * first by priority: Deny ends denied, AlwaysAllow ends allowed (NSGs skipped), Allow passes on;
 * then subnet NSG, then NIC NSG, first match each
 * (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins). The
 * verifier's answers, the exposure findings (broad Internet sources per port) and the rules they
 * blame must agree with it.
 */
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import { createFlowVerifier } from '../../lib/flow/verifier.js';
import { evaluatePolicy } from '../../lib/policy/evaluate.js';
import { builtinPolicy } from '../../lib/policy/parse.js';
import { createEstateView } from '../../lib/verdicts/view.js';
import { nic, nsg, vnet, type Json, type RuleSpec } from '../rules/fixtures/build.js';
import { managerDocuments, type AdminRuleSpec } from '../support/network-manager.js';
import { mulberry32 } from '../support/random.js';

const CASES = 2000;
const NIC_IP = '10.0.1.4';
const SOURCES = ['*', 'Internet', '10.0.0.0/8', '20.0.0.0/6', '198.51.100.0/24', 'VirtualNetwork'];
const DESTINATIONS = ['*', '10.0.1.0/24', `${NIC_IP}/32`, 'VirtualNetwork', '10.0.2.0/24'];
const PORTS = [['22'], ['80'], ['20-100'], ['0-65535'], ['22', '443']];
const PROTOCOLS = ['Tcp', 'Udp', 'Any'] as const;
const ASKED_PORTS = [22, 80, 443];

/**
 * Source atoms: every prefix above is a union of them, so one address stands for each. The
 * Internet ones: 20.0.0.0/6 (2^26 addresses: broad alone), 198.51.100.0/24 (narrow) and the rest
 * of the Internet (broad); then an address of the virtual network.
 */
const ATOMS = [
  { ip: '20.1.2.3', internet: true, broad: true },
  { ip: '198.51.100.7', internet: true, broad: false },
  { ip: '1.2.3.4', internet: true, broad: true },
  { ip: '10.0.2.5', internet: false, broad: false },
];

function inPrefix(prefix: string, ip: string): boolean {
  const inVnet = ip.startsWith('10.0.');
  switch (prefix) {
    case '*':
      return true;
    case 'Internet':
      return !inVnet && !ip.startsWith('10.');
    case 'VirtualNetwork':
      return inVnet;
    case '10.0.0.0/8':
      return ip.startsWith('10.');
    case '20.0.0.0/6':
      return ip.startsWith('20.');
    case '198.51.100.0/24':
      return ip.startsWith('198.51.100.');
    case '10.0.1.0/24':
      return ip.startsWith('10.0.1.');
    case `${NIC_IP}/32`:
      return ip === NIC_IP;
    case '10.0.2.0/24':
      return ip.startsWith('10.0.2.');
    default:
      throw new Error(`no reference for ${prefix}`);
  }
}

function inPorts(ports: readonly string[], port: number): boolean {
  return ports.some((p) => {
    const [from, to] = p.split('-').map(Number) as [number, number | undefined];
    return port >= from && port <= (to ?? from);
  });
}

interface RefRule {
  name: string;
  priority: number;
  access: 'Allow' | 'Deny' | 'AlwaysAllow';
  protocol: string;
  sources: string[];
  destinations: string[];
  ports: string[];
}

function matches(rule: RefRule, protocol: 'Tcp' | 'Udp', source: string, port: number): boolean {
  const p = rule.protocol.toLowerCase();
  return (p === '*' || p === 'any' || p === protocol.toLowerCase()) && rule.sources.some((s) => inPrefix(s, source)) && rule.destinations.some((d) => inPrefix(d, NIC_IP)) && inPorts(rule.ports, port);
}

const NSG_DEFAULTS: RefRule[] = [
  { name: 'AllowVnetInBound', priority: 65000, access: 'Allow', protocol: '*', sources: ['VirtualNetwork'], destinations: ['VirtualNetwork'], ports: ['0-65535'] },
  { name: 'DenyAllInBound', priority: 65500, access: 'Deny', protocol: '*', sources: ['*'], destinations: ['*'], ports: ['0-65535'] },
];

type Step = { layer: 'admin' | 'subnet' | 'nic'; rule: string; action: RefRule['access'] };

/** Azure's answer for one inbound flow to the NIC, with the rules that took part. */
function reference(admin: RefRule[], subnet: RefRule[], nicRules: RefRule[] | undefined, protocol: 'Tcp' | 'Udp', source: string, port: number): { access: 'Allow' | 'Deny'; steps: Step[] } {
  const steps: Step[] = [];
  const hit = [...admin].sort((a, b) => a.priority - b.priority).find((r) => matches(r, protocol, source, port));
  if (hit) {
    steps.push({ layer: 'admin', rule: hit.name, action: hit.access });
    if (hit.access === 'Deny') return { access: 'Deny', steps };
    if (hit.access === 'AlwaysAllow') return { access: 'Allow', steps };
  }
  for (const [layer, rules] of [['subnet', subnet], ['nic', nicRules]] as const) {
    if (!rules) continue;
    const decided = [...rules, ...NSG_DEFAULTS].sort((a, b) => a.priority - b.priority).find((r) => matches(r, protocol, source, port));
    if (!decided) throw new Error('default rules match everything');
    steps.push({ layer, rule: decided.name, action: decided.access });
    if (decided.access === 'Deny') return { access: 'Deny', steps };
  }
  return { access: 'Allow', steps };
}

function randomCase(random: () => number) {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const some = (items: readonly string[]): string[] => [...new Set(Array.from({ length: 1 + Math.floor(random() * 2) }, () => pick(items)))];
  const uniquePriorities = (count: number, from: number, to: number): number[] => {
    const set = new Set<number>();
    while (set.size < count) set.add(from + Math.floor(random() * (to - from + 1)));
    return [...set];
  };
  const nsgRules = (count: number): RefRule[] =>
    uniquePriorities(count, 100, 4096).map((priority, i) => ({
      name: `r${i}`,
      priority,
      access: random() < 0.6 ? 'Allow' : 'Deny',
      protocol: pick(['Tcp', 'Udp', '*']),
      sources: [pick(SOURCES)],
      destinations: [pick(DESTINATIONS.slice(0, 4))],
      ports: pick(PORTS),
    }));
  const adminCount = Math.floor(random() * 6);
  const admin: (RefRule & { collection: number })[] = uniquePriorities(adminCount, 1, 4096).map((priority, i) => ({
    name: `a${i}`,
    priority,
    access: pick(['Allow', 'Deny', 'AlwaysAllow'] as const),
    protocol: pick(PROTOCOLS),
    sources: some(SOURCES),
    destinations: some(DESTINATIONS),
    ports: pick(PORTS),
    collection: Math.floor(random() * 3),
  }));
  return { admin, subnet: nsgRules(Math.floor(random() * 4)), nic: random() < 0.5 ? nsgRules(Math.floor(random() * 3)) : undefined };
}

function toSpec(r: RefRule): RuleSpec {
  return { name: r.name, priority: r.priority, access: r.access === 'Deny' ? 'Deny' : 'Allow', protocol: r.protocol, source: r.sources[0] ?? '*', destination: r.destinations[0] ?? '*', ports: r.ports.length === 1 ? (r.ports[0] ?? '*') : r.ports };
}

describe('security admin rules with subnet and NIC NSGs, against a brute-force reference', () => {
  it(`agrees on ${CASES} random estates: every flow's verdict and deciding rules, exposure per port and who is blamed`, () => {
    const random = mulberry32(20261202);
    let checkedFlows = 0;
    let alwaysAllowBlamed = 0;
    for (let n = 0; n < CASES; n++) {
      const c = randomCase(random);
      const resources: Json[] = [
        vnet('vnet-app', ['10.0.0.0/16'], [{ name: 'snet-vm', prefix: '10.0.1.0/24', nsg: 'nsg-subnet' }]),
        nsg('nsg-subnet', c.subnet.map(toSpec)),
        ...(c.nic ? [nsg('nsg-nic', c.nic.map(toSpec))] : []),
        nic('nic-vm', { vnet: 'vnet-app', subnet: 'snet-vm', ip: NIC_IP, ...(c.nic ? { nsg: 'nsg-nic' } : {}) }),
      ];
      const collections = [0, 1, 2].map((k) => ({
        name: `c${k}`,
        groups: ['g'],
        rules: c.admin.filter((r) => r.collection === k).map((r): AdminRuleSpec => ({ name: r.name, priority: r.priority, access: r.access, protocol: r.protocol, sources: r.sources, destinations: r.destinations, ports: r.ports })),
      }));
      const estate = loadEstate([{ source: 'estate.json', json: { value: resources } }, ...managerDocuments({ collections, members: { g: ['vnet-app'] }, committedTo: ['westeurope'] })]);
      expect(estate.errors).toEqual([]);
      const view = createEstateView(estate);
      const verifier = createFlowVerifier(estate, { view });
      const label = JSON.stringify(c);

      for (const protocol of ['Tcp', 'Udp'] as const) {
        for (const atom of ATOMS) {
          for (const port of ASKED_PORTS) {
            const expected = reference(c.admin, c.subnet, c.nic, protocol, atom.ip, port);
            const answer = verifier.verify({ nic: 'nic-vm', direction: 'Inbound', protocol, source: atom.ip, sourcePort: 50000, destination: NIC_IP, destinationPort: port });
            if (!answer.ok) throw new Error(`${label}: ${answer.error}`);
            const steps = answer.decidedBy.map((s) => ({ layer: s.layer, rule: s.rule, action: s.admin?.action ?? s.access }));
            if (answer.access !== expected.access || JSON.stringify(steps) !== JSON.stringify(expected.steps)) {
              expect({ case: label, protocol, source: atom.ip, port, steps, access: answer.access }).toEqual({ case: label, protocol, source: atom.ip, port, steps: expected.steps, access: expected.access });
            }
            checkedFlows += 1;
          }
        }
      }

      // Exposure: broad Internet sources reach the port; blamed are the admin AlwaysAllow or the NSG Allow rules of those flows.
      for (const port of ASKED_PORTS) {
        const policy = builtinPolicy({ id: 'TEST', severity: 'high', title: 't', message: 'm', deny: [{ label: `TCP ${port}`, direction: 'inbound', protocol: 'tcp', ports: port, from: 'Internet', when: 'broad' }] });
        const findings = evaluatePolicy(policy, view, { ruleId: 'TEST', severity: 'high', title: 't', remediation: { az: '', bicep: '' } });
        const blamed = new Set<string>();
        for (const atom of ATOMS.filter((a) => a.broad)) {
          const expected = reference(c.admin, c.subnet, c.nic, 'Tcp', atom.ip, port);
          if (expected.access !== 'Allow') continue;
          for (const step of expected.steps) {
            if (step.layer === 'admin' && step.action === 'AlwaysAllow') blamed.add(`admin:${step.rule}`);
            if (step.layer !== 'admin' && step.action === 'Allow') blamed.add(`${step.layer === 'subnet' ? 'nsg-subnet' : 'nsg-nic'}:${step.rule}`);
          }
        }
        const got = new Set(findings.map((f) => (f.resourceId.includes('/networkManagers/') ? `admin:${f.resourceName}` : `${f.resourceName}:${f.scope}`)));
        if (got.size !== blamed.size || [...got].some((g) => !blamed.has(g))) {
          expect({ case: label, port, blamed: [...got].sort() }).toEqual({ case: label, port, blamed: [...blamed].sort() });
        }
        alwaysAllowBlamed += [...got].filter((g) => g.startsWith('admin:')).length;
      }
    }
    expect(checkedFlows).toBe(CASES * 2 * ATOMS.length * ASKED_PORTS.length);
    // The generator reaches the AlwaysAllow path (the property is not vacuous).
    expect(alwaysAllowBlamed).toBeGreaterThan(100);
  });
});
