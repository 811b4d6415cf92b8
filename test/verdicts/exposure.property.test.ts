/**
 * Exposed or latent, against a brute-force reference written here: random estates of NICs with
 * subnet and NIC NSGs, public IPs (Basic, Standard, none), a public load balancer with rules (with
 * and without floating IP) and NAT rules. For each port asked about, the reference evaluates
 * concrete flows as the NSGs see them after translation; the engine's findings must name the same
 * NICs as exposed, and as allowed at all.
 */
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import { relateEstate } from '../../lib/estate/relations.js';
import { evaluatePolicy } from '../../lib/policy/evaluate.js';
import { builtinPolicy } from '../../lib/policy/parse.js';
import { createEstateView } from '../../lib/verdicts/view.js';
import { evaluateComposed, type Flow } from '../../lib/nsg/index.js';
import { loadBalancer, nic, nsg, publicIp, vnet, type Json, type RuleSpec } from '../rules/fixtures/build.js';
import { mulberry32 } from '../support/random.js';

const PORTS = [22, 80, 443];
const LB_ADDRESS = '20.1.2.100';
const INTERNET_SOURCE = '198.51.100.7';

interface Case {
  resources: Json[];
  nics: { name: string; ip: string; publicIp: boolean; inPool: boolean; natRules: { frontendPort: number; backendPort: number }[] }[];
  rules: { frontendPort: number; backendPort: number; floatingIp: boolean }[];
}

function randomCase(random: () => number): Case {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const ruleSpecs = (count: number, ips: string[]): RuleSpec[] =>
    Array.from({ length: count }, (_, i) => ({
      name: `r${i}`,
      priority: 100 + i * 10,
      access: random() < 0.6 ? 'Allow' : 'Deny',
      source: pick(['*', 'Internet', '10.0.0.0/8']),
      destination: pick(['*', '10.0.1.0/24', LB_ADDRESS, ...ips]),
      ports: pick(['22', '80', '443', '*', '20-100']),
    }));
  const count = 1 + Math.floor(random() * 3);
  const ips = Array.from({ length: count }, (_, i) => `10.0.1.${4 + i}`);
  const subnetNsg = random() < 0.7;
  const rules = Array.from({ length: Math.floor(random() * 3) }, () => {
    const floatingIp = random() < 0.4;
    const backendPort = pick(PORTS);
    return { frontendPort: floatingIp ? backendPort : pick([backendPort, 8080, 50001]), backendPort, floatingIp };
  });
  const nics: Case['nics'] = ips.map((ip, i) => ({
    name: `nic-${i}`,
    ip,
    publicIp: random() < 0.3,
    inPool: random() < 0.6,
    natRules: random() < 0.3 ? [{ frontendPort: 50010 + i, backendPort: pick(PORTS) }] : [],
  }));
  const natRules = nics.flatMap((n) => n.natRules.map((r, j) => ({ name: `nat-${n.name}-${j}`, ...r })));
  const resources: Json[] = [
    vnet('vnet-app', ['10.0.0.0/16'], [{ name: 'snet-app', prefix: '10.0.1.0/24', ...(subnetNsg ? { nsg: 'nsg-subnet' } : {}) }]),
    ...(subnetNsg ? [nsg('nsg-subnet', ruleSpecs(1 + Math.floor(random() * 3), ips))] : []),
    loadBalancer('lb', { publicIp: 'pip-lb', rules: rules.map((r, i) => ({ name: `lbr${i}`, ...r })), natRules }),
    publicIp('pip-lb', LB_ADDRESS),
  ];
  nics.forEach((n, i) => {
    const own = !subnetNsg || random() < 0.4;
    if (own) resources.push(nsg(`nsg-${n.name}`, ruleSpecs(1 + Math.floor(random() * 3), ips)));
    resources.push(
      nic(n.name, {
        vnet: 'vnet-app',
        subnet: 'snet-app',
        ip: n.ip,
        ...(own ? { nsg: `nsg-${n.name}` } : {}),
        ...(n.publicIp ? { publicIp: `pip-${i}` } : {}),
        ...(n.inPool ? { pools: [{ lb: 'lb', pool: 'pool' }] } : {}),
        ...(n.natRules.length > 0 ? { natRules: n.natRules.map((_, j) => ({ lb: 'lb', rule: `nat-${n.name}-${j}` })) } : {}),
      }),
    );
    if (n.publicIp) resources.push(publicIp(`pip-${i}`, `20.1.2.${10 + i}`, random() < 0.5 ? 'Basic' : 'Standard'));
  });
  return { resources, nics, rules };
}

/** The reference: which NICs the Internet reaches on TCP `port`, and which only the policy would let it reach. */
function reference(c: Case, port: number, allowed: (nicName: string, destination: string, port: number) => boolean) {
  const violated = new Set<string>();
  const exposed = new Set<string>();
  for (const n of c.nics) {
    if (!allowed(n.name, n.ip, port)) continue;
    violated.add(n.name);
    const byPublicIp = n.publicIp;
    const byRule = n.inPool && c.rules.some((r) => r.backendPort === port && (!r.floatingIp || allowed(n.name, LB_ADDRESS, r.frontendPort)));
    const byNat = n.natRules.some((r) => r.backendPort === port);
    if (byPublicIp || byRule || byNat) exposed.add(n.name);
  }
  return { violated, exposed };
}

describe('exposed or latent: the engine against a brute-force reference', () => {
  it('agrees on 300 random estates, for TCP 22, 80 and 443', () => {
    const random = mulberry32(12);
    let exposedSeen = 0;
    let latentSeen = 0;
    for (let round = 0; round < 300; round += 1) {
      const c = randomCase(random);
      const estate = loadEstate([{ source: `case ${round}`, json: c.resources }]);
      expect(estate.errors).toEqual([]);
      const view = createEstateView(estate);
      const relations = relateEstate(estate);
      const points = new Map(view.points().map((p) => [p.point.name, p]));
      const allowed = (nicName: string, destination: string, port: number): boolean => {
        const point = points.get(nicName);
        if (!point || point.nsgs.length === 0) return false;
        const flow: Flow = { direction: 'Inbound', protocol: 'Tcp', sourceIp: INTERNET_SOURCE, sourcePort: 50000, destinationIp: destination, destinationPort: port };
        return evaluateComposed(point.layers, flow).access === 'Allow';
      };
      expect(relations.attachments.filter((p) => p.kind === 'networkInterface')).toHaveLength(c.nics.length);
      for (const port of PORTS) {
        const policy = builtinPolicy({
          id: 'EXPOSE-1',
          severity: 'high',
          title: `TCP ${port} from the Internet`,
          message: `TCP ${port} is reachable from the Internet`,
          deny: [{ label: `TCP ${port}`, direction: 'inbound', protocol: 'tcp', ports: port, from: 'Internet', when: 'broad' }],
        });
        const findings = evaluatePolicy(policy, view, { ruleId: 'EXPOSE-1', severity: 'high', title: policy.title, remediation: { az: '', bicep: '' }, pathAware: true });
        const engineViolated = new Set(findings.flatMap((f) => (f.evidence.attachments ?? []).map((id) => id.split('/').pop() ?? '')));
        const engineExposed = new Set(
          findings.flatMap((f) => ((f.evidence['publicPath'] as { through: string[] } | undefined)?.through ?? []).map((t) => t.split(' to ').pop() ?? '')),
        );
        const expected = reference(c, port, allowed);
        const context = { round, port, resources: c.resources };
        expect([...engineViolated].sort(), JSON.stringify(context)).toEqual([...expected.violated].sort());
        expect([...engineExposed].sort(), JSON.stringify(context)).toEqual([...expected.exposed].sort());
        for (const f of findings) {
          const state = (f.evidence['publicPath'] as { state: string } | undefined)?.state;
          expect(f.severity).toBe(state === 'latent' ? 'low' : 'high');
        }
        exposedSeen += expected.exposed.size;
        latentSeen += expected.violated.size - expected.exposed.size;
      }
    }
    // The random estates exercise both answers.
    expect(exposedSeen).toBeGreaterThan(50);
    expect(latentSeen).toBeGreaterThan(50);
  });
});


