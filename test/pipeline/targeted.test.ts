/**
 * A targeted read must judge every affected resource exactly as a full sweep would: same affected
 * set, same findings, same errors. Checked over every scope kind on synthetic hub-and-spoke
 * estates and on the sample estate, through the real NetworkManagementClient on the test transport.
 */
import { describe, expect, it } from 'vitest';
import { createArmReader } from '../../lib/azure/arm.js';
import { armSource } from '../../lib/azure/arm-source.js';
import { createReadBudgets } from '../../lib/azure/budget.js';
import { subscriptionScope, type Scope, type ScopeKind } from '../../lib/azure/scopes.js';
import { loadEstate } from '../../lib/estate/load.js';
import type { Estate, NetworkInterface } from '../../lib/estate/model.js';
import { affectedResources, referencedAsgs, type PreviousGuards } from '../../lib/pipeline/affected.js';
import { guardsToRemember } from '../../lib/pipeline/guards.js';
import { readScopeEstate, type TargetedLimits } from '../../lib/pipeline/targeted.js';
import type { TargetedReads } from '../../lib/pipeline/types.js';
import { normalizeId, parentId } from '../../lib/arm/index.js';
import { evaluateRules } from '../../lib/runtime/catalogue.js';
import { sampleEstateResources, syntheticEstate, withBackReferences } from '../support/arm-estate.js';
import {
  createArmEstate,
  createArmTransport,
  serveEstate,
  testCredential,
  type ArmEstate,
  type ArmTransport,
} from '../support/arm-transport.js';
import { mulberry32 } from '../support/random.js';
import { serveEffectiveRoutes, withNetworkLayers } from '../support/network-layers.js';

const UNLIMITED: TargetedLimits = { maxResources: 100_000, maxRounds: 50, firstDepth: 3 };

const KIND_OF_TYPE: Record<string, ScopeKind> = {
  'microsoft.network/networksecuritygroups': 'nsg',
  'microsoft.network/virtualnetworks': 'virtualNetwork',
  'microsoft.network/networkinterfaces': 'nic',
  'microsoft.network/natgateways': 'natGateway',
  'microsoft.network/bastionhosts': 'bastionHost',
  'microsoft.network/applicationsecuritygroups': 'asg',
  'microsoft.network/loadbalancers': 'loadBalancer',
  'microsoft.network/publicipaddresses': 'publicIp',
  'microsoft.network/routetables': 'routeTable',
  'microsoft.network/virtualnetworkgateways': 'virtualNetworkGateway',
  'microsoft.network/connections': 'gatewayConnection',
};

interface Served {
  subscriptionId: string;
  estate: ArmEstate;
  transport: ArmTransport;
  targeted: TargetedReads;
  full(): Promise<Estate>;
}

/**
 * Security admin rules on every other network (as its effective list gives them): a Deny of SSH
 * and an AlwaysAllow of RDP from the Internet, so targeted reads and sweeps must both take them.
 */
function adminRulesOf(virtualNetworkId: string): unknown[] {
  if (!/[02468]$/.test(virtualNetworkId)) return [];
  const manager = `${virtualNetworkId.split('/providers/')[0] ?? ''}/providers/Microsoft.Network/networkManagers/avnm`;
  const rule = (name: string, access: string, port: string, priority: number) => ({
    id: `${manager}/securityAdminConfigurations/sec/ruleCollections/guard/rules/${name}`,
    kind: 'Custom',
    ruleCollectionAppliesToGroups: [{ networkGroupId: `${manager}/networkGroups/all` }],
    properties: { protocol: 'Tcp', sources: [{ addressPrefixType: 'ServiceTag', addressPrefix: 'Internet' }], destinations: [{ addressPrefixType: 'IPPrefix', addressPrefix: '*' }], sourcePortRanges: ['0-65535'], destinationPortRanges: [port], access, priority, direction: 'Inbound' },
  });
  return [rule('deny-ssh', 'Deny', '22', 10), rule('always-rdp', 'AlwaysAllow', '3389', 20)];
}

function serve(resources: Record<string, unknown>[], subscriptionId: string): Served {
  const transport = createArmTransport();
  const estate = createArmEstate(resources);
  serveEstate(transport, estate, { pageSize: 50, effectiveAdminRules: adminRulesOf });
  const reader = createArmReader({
    credential: testCredential(),
    httpClient: transport,
    budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }),
    // Retries are the read policy's business (arm-faults.test.ts); here a failure is final at once.
    retry: { maxAttempts: 1 },
  });
  const source = armSource({ reader, subscriptions: [subscriptionId] });
  if (!source.targeted) throw new Error('the ARM source reads by id');
  return {
    subscriptionId,
    estate,
    transport,
    targeted: source.targeted,
    async full() {
      const inventory = await source.readInventory(subscriptionId, { priority: 'sweep' });
      expect(inventory.failures).toEqual([]);
      return loadEstate(inventory.documents);
    },
  };
}

/** Scopes of every kind: each top-level resource, each subnet. */
function scopesOf(resources: Record<string, unknown>[], subscriptionId: string): Scope[] {
  const scopes: Scope[] = [];
  for (const resource of resources) {
    const id = normalizeId(String(resource['id']));
    const kind = KIND_OF_TYPE[String(resource['type']).toLowerCase()];
    if (!kind) continue;
    scopes.push({ kind, id, subscriptionId });
    if (kind === 'virtualNetwork') {
      const subnets = ((resource['properties'] as { subnets?: { id: string }[] }).subnets ?? []);
      for (const subnet of subnets) scopes.push({ kind: 'subnet', id: normalizeId(subnet.id), subscriptionId });
    }
  }
  return scopes;
}

/** What a judgement of `only` says, in a form two judgements can be compared by. */
function judgement(estate: Estate, only: Set<string>) {
  const output = evaluateRules(estate, { only, serviceTags: undefined });
  return {
    judged: [...output.judged].sort(),
    findings: [...output.findings].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)),
    errors: [...output.errors].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  };
}

/** True when the NSG sits on the NIC or on a subnet the NIC is in. */
function isGuardOf(estate: Estate, nsgKey: string, nicKey: string): boolean {
  const nic = estate.networkInterfaces.get(nicKey);
  if (nic?.networkSecurityGroup?.key === nsgKey) return true;
  return (nic?.ipConfigurations ?? []).some((c) => c.subnet !== undefined && estate.subnets.get(c.subnet.key)?.networkSecurityGroup?.key === nsgKey);
}

/** The guard memory a sweep of this estate leaves behind. */
function recordedBySweep(full: Estate, subscriptionId: string): PreviousGuards {
  const guards = guardsToRemember(full, subscriptionScope(subscriptionId), undefined);
  const records = new Map<string, { nsg: string; asgs: string }>();
  for (const [key, record] of guards) if (record) records.set(key, record);
  return { records, complete: true };
}

async function expectSameAsSweep(
  served: Served,
  full: Estate,
  scope: Scope,
  previous?: PreviousGuards,
): Promise<{ reads: number; resources: number; affected: Set<string>; unattachedNsgs: boolean }> {
  const expected = affectedResources(full, scope, undefined, previous);
  const read = await readScopeEstate(served.targeted, scope, UNLIMITED, previous);
  if (read.kind !== 'read') throw new Error(`${scope.kind} ${scope.id}: ${read.kind}`);
  expect([...read.affected.resources].sort().map((k) => k.split("/").at(-1)), `${scope.kind} ${scope.id}: affected`).toEqual([...expected.resources].sort().map((k) => k.split("/").at(-1)));
  expect(read.affected.scopeDeleted).toBe(expected.scopeDeleted);
  expect(judgement(read.estate, read.affected.resources), `${scope.kind} ${scope.id}: verdicts`).toEqual(judgement(full, expected.resources));
  return {
    reads: read.reads,
    resources: read.estate.networkSecurityGroups.size + read.estate.networkInterfaces.size,
    affected: read.affected.resources,
    unattachedNsgs: read.affected.unattachedNsgs,
  };
}

describe('readScopeEstate judges as the sweep does', () => {
  it.each([
    { seed: 1, nsgs: 24, vnets: 5, nics: 60 },
    { seed: 2, nsgs: 40, vnets: 4, nics: 90, asgs: 3 },
    { seed: 3, nsgs: 16, vnets: 6, nics: 40, asgs: 5 },
  ])('on every scope of a synthetic estate (seed $seed)', async (size) => {
    const synthetic = syntheticEstate(size);
    const served = serve(synthetic.resources, synthetic.subscriptionId);
    const full = await served.full();
    const scopes = scopesOf(synthetic.resources, synthetic.subscriptionId.toLowerCase());
    expect(new Set(scopes.map((s) => s.kind))).toEqual(new Set(['nsg', 'virtualNetwork', 'subnet', 'nic', 'natGateway', 'bastionHost', 'asg']));
    for (const scope of scopes) await expectSameAsSweep(served, full, scope);
    // And with the guard memory a sweep leaves, for the scopes that consult it.
    const previous = recordedBySweep(full, synthetic.subscriptionId);
    for (const scope of scopes.filter((s) => ['nic', 'subnet', 'virtualNetwork'].includes(s.kind))) {
      const { unattachedNsgs } = await expectSameAsSweep(served, full, scope, previous);
      expect(unattachedNsgs).toBe(false);
    }
  });

  it('on every scope of an estate with load balancers, route tables (a default route among them) and VPN gateways', async () => {
    const synthetic = syntheticEstate({ seed: 7, nsgs: 24, vnets: 8, nics: 80, loadBalancers: 4 });
    const layered = withNetworkLayers(synthetic.resources, { routeTables: 8, gateways: 2 });
    const served = serve(layered.resources, synthetic.subscriptionId);
    serveEffectiveRoutes(served.transport, () => ['172.30.0.0/16']);
    const full = await served.full();
    const scopes = scopesOf(layered.resources, synthetic.subscriptionId.toLowerCase());
    expect(new Set(scopes.map((s) => s.kind))).toEqual(new Set(['nsg', 'virtualNetwork', 'subnet', 'nic', 'natGateway', 'bastionHost', 'asg', 'loadBalancer', 'publicIp', 'routeTable', 'virtualNetworkGateway', 'gatewayConnection']));
    // A NIC behind a load balancer sits in a subnet with a route table: its VirtualNetwork holds the routes' prefixes.
    const routed = [...full.networkInterfaces.values()].filter((n) => n.ipConfigurations.some((c) => c.subnet !== undefined && full.subnets.get(c.subnet.key)?.routeTable !== undefined));
    expect(routed.length).toBeGreaterThan(0);
    for (const scope of scopes) await expectSameAsSweep(served, full, scope);
  });

  it('on every scope of the sample estate', async () => {
    // Hand-written, the sample leaves out the back-references ARM fills in: served as ARM would.
    const resources = withBackReferences(sampleEstateResources());
    const subscriptionId = String(resources[0]?.['id']).split('/')[2]?.toLowerCase() ?? '';
    const served = serve(resources, subscriptionId);
    const full = await served.full();
    for (const scope of scopesOf(resources, subscriptionId)) await expectSameAsSweep(served, full, scope);
  });

  it('after changes the events report: a detached NSG, a NIC joining an ASG, a deleted NSG', async () => {
    const synthetic = syntheticEstate({ seed: 11, nsgs: 20, vnets: 4, nics: 50, asgs: 2 });
    const served = serve(synthetic.resources, synthetic.subscriptionId);
    const sub = synthetic.subscriptionId.toLowerCase();
    const random = mulberry32(5);
    const vnets = synthetic.resources.filter((r) => r['type'] === 'Microsoft.Network/virtualNetworks');
    const nics = synthetic.resources.filter((r) => r['type'] === 'Microsoft.Network/networkInterfaces');
    const asg = synthetic.resources.find((r) => r['type'] === 'Microsoft.Network/applicationSecurityGroups');

    // What the sweep recorded: every subnet's and NIC's NSG.
    const previous = recordedBySweep(await served.full(), sub);

    // A subnet drops its NSG; ARM updates the NSG's back-reference.
    const vnet = vnets[1] as { properties: { subnets: { id: string; properties: Record<string, unknown> }[] } };
    const subnet = vnet.properties.subnets.find((s) => s.properties['networkSecurityGroup'] !== undefined);
    if (!subnet) throw new Error('no subnet with an NSG');
    const nsgId = (subnet.properties['networkSecurityGroup'] as { id: string }).id;
    delete subnet.properties['networkSecurityGroup'];
    const nsg = served.estate.get(nsgId) as { properties: { subnets?: { id: string }[] } };
    nsg.properties.subnets = (nsg.properties.subnets ?? []).filter((s) => normalizeId(s.id) !== normalizeId(subnet.id));
    let full = await served.full();
    const subnetScope: Scope = { kind: 'subnet', id: normalizeId(subnet.id), subscriptionId: sub };
    await expectSameAsSweep(served, full, subnetScope);
    // With what the sweep recorded, the dropped NSG is judged, and not every NSG attached to nothing.
    const remembered = await expectSameAsSweep(served, full, subnetScope, previous);
    expect(remembered.affected.has(normalizeId(nsgId))).toBe(true);
    expect(remembered.unattachedNsgs).toBe(false);
    const unattached = [...full.networkSecurityGroups.values()].filter((n) => n.subnets.length === 0 && n.networkInterfaces.length === 0);
    expect(unattached.length).toBeGreaterThan(1);
    expect(unattached.filter((n) => remembered.affected.has(n.key)).map((n) => n.key)).toEqual([normalizeId(nsgId)]);

    // A NIC outside every ASG joins one: the NSGs naming that ASG see a new address.
    const outside = nics.filter((n) => !JSON.stringify(n).includes('applicationSecurityGroups'));
    const nic = outside[Math.floor(random() * outside.length)] as { id: string; properties: { ipConfigurations: { properties: Record<string, unknown> }[] } };
    const config = nic.properties.ipConfigurations[0];
    if (!config || !asg) throw new Error('no NIC configuration or ASG');
    const asgKey = normalizeId(String(asg['id']));
    config.properties['applicationSecurityGroups'] = [{ id: asg['id'] }];
    full = await served.full();
    const nicScope: Scope = { kind: 'nic', id: normalizeId(nic.id), subscriptionId: sub };
    const naming = [...full.networkSecurityGroups.values()].filter((n) => referencedAsgs(n).has(asgKey)).map((n) => n.key);
    expect(naming.length).toBeGreaterThan(0);
    await expectSameAsSweep(served, full, nicScope);
    const joined = await expectSameAsSweep(served, full, nicScope, previous);
    expect(naming.filter((k) => !joined.affected.has(k))).toEqual([]);
    await expectSameAsSweep(served, full, { kind: 'asg', id: asgKey, subscriptionId: sub });
    // Written again with its memberships as recorded: NSGs naming the ASG cannot have moved.
    const afterJoin = recordedBySweep(full, sub);
    const guarding = new Set(affectedResources(full, { kind: 'nic', id: nicScope.id, subscriptionId: sub }, undefined, afterJoin).resources);
    const quiet = await expectSameAsSweep(served, full, nicScope, afterJoin);
    expect(quiet.affected).toEqual(guarding);
    expect(naming.filter((k) => quiet.affected.has(k) && !isGuardOf(full, k, nicScope.id))).toEqual([]);
    // It leaves the ASG again: the NSGs naming the ASG it left are judged.
    delete config.properties['applicationSecurityGroups'];
    full = await served.full();
    const left = await expectSameAsSweep(served, full, nicScope, afterJoin);
    expect(naming.filter((k) => !left.affected.has(k))).toEqual([]);

    // An NSG attached to nothing is deleted.
    served.estate.remove(nsgId);
    full = await served.full();
    const gone = { kind: 'nsg' as const, id: normalizeId(nsgId), subscriptionId: sub };
    await expectSameAsSweep(served, full, gone);
    const read = await readScopeEstate(served.targeted, gone, UNLIMITED);
    expect(read.kind === 'read' && read.affected.scopeDeleted).toBe(true);
  });
});

describe('readScopeEstate limits and failures', () => {
  const synthetic = syntheticEstate({ seed: 4, nsgs: 30, vnets: 4, nics: 80 });
  const nsgScope = (served: Served): Scope => {
    const nsg = synthetic.resources.find((r) => r['type'] === 'Microsoft.Network/networkSecurityGroups');
    return { kind: 'nsg', id: normalizeId(String(nsg?.['id'])), subscriptionId: served.subscriptionId.toLowerCase() };
  };

  it('reads an NSG scope in a few dozen requests, not the inventory', async () => {
    const served = serve(synthetic.resources, synthetic.subscriptionId);
    const { reads } = await expectSameAsSweep(served, await served.full(), nsgScope(served));
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThan(60);
  });

  it('asks for the security admin rules of the networks read, not of those only ASG members sit in', async () => {
    const estate = syntheticEstate({ seed: 2, nsgs: 40, vnets: 8, nics: 120, asgs: 2 });
    const served = serve(estate.resources, estate.subscriptionId);
    const full = await served.full();
    const subscriptionId = estate.subscriptionId.toLowerCase();
    const inAsg = (nic: NetworkInterface, asgs: ReadonlySet<string>): boolean => nic.ipConfigurations.some((c) => c.applicationSecurityGroups.some((a) => asgs.has(a.key)));
    // The NSGs naming an ASG (members held back until the rest is read), its members and the ASGs
    // themselves (members read with the rest).
    const scopes: { scope: Scope; asgs: Set<string> }[] = [
      ...[...full.networkSecurityGroups.values()].filter((n) => referencedAsgs(n).size > 0).map((n) => ({ scope: { kind: 'nsg' as const, id: n.key, subscriptionId }, asgs: referencedAsgs(n) })),
      ...[...full.applicationSecurityGroups.keys()].map((key) => ({ scope: { kind: 'asg' as const, id: key, subscriptionId }, asgs: new Set([key]) })),
      ...[...full.networkInterfaces.values()].filter((n) => inAsg(n, new Set(full.applicationSecurityGroups.keys()))).slice(0, 12).map((n) => ({ scope: { kind: 'nic' as const, id: n.key, subscriptionId }, asgs: new Set(n.ipConfigurations.flatMap((c) => c.applicationSecurityGroups.map((a) => a.key))) })),
    ];
    const memberOnly = new Map<string, number>();
    for (const { scope, asgs } of scopes) {
      const before = served.transport.requests.length;
      const read = await readScopeEstate(served.targeted, scope, UNLIMITED);
      if (read.kind !== 'read') throw new Error(`${scope.id}: ${read.kind}`);
      const posted = served.transport.requests
        .slice(before)
        .filter((r) => r.method === 'POST')
        .map((r) => r.path.toLowerCase().replace(/\/listnetworkmanagereffectivesecurityadminrules$/, ''));
      const readNetworks = new Set([...read.estate.virtualNetworks.keys(), ...[...read.estate.subnets.values()].map((s) => s.virtualNetwork.key)]);
      // Every network the read holds is asked once; no other.
      expect(posted.sort()).toEqual([...readNetworks].sort());
      const members = [...read.estate.networkInterfaces.values()].filter((n) => inAsg(n, asgs));
      const outside = members.filter((m) => m.ipConfigurations.some((c) => !readNetworks.has(c.subnet ? (parentId(c.subnet.key) ?? '') : ''))).length;
      memberOnly.set(scope.kind, (memberOnly.get(scope.kind) ?? 0) + outside);
      // And the verdicts are the sweep's.
      await expectSameAsSweep(served, full, scope);
    }
    // The case in point occurs: members whose network the read does not hold, held back (an NSG's
    // scope) and read with the rest (a NIC's). An ASG's own scope judges its members: none.
    expect(memberOnly.get('nsg')).toBeGreaterThan(0);
    expect(memberOnly.get('nic')).toBeGreaterThan(0);
    expect(memberOnly.get('asg')).toBe(0);
  });

  it('gives way to the whole inventory when the context outgrows the limit', async () => {
    const served = serve(synthetic.resources, synthetic.subscriptionId);
    const read = await readScopeEstate(served.targeted, nsgScope(served), { maxResources: 2, maxRounds: 8, firstDepth: 3 });
    expect(read.kind).toBe('too-large');
    expect(read.kind === 'too-large' && read.reason).toMatch(/exceeds 2 resources/);
  });

  it('fails, concluding nothing, when a context read fails after retries', async () => {
    const served = serve(synthetic.resources, synthetic.subscriptionId);
    const scope = nsgScope(served);
    // Everything but the scope NSG itself answers 500.
    served.transport.failNext(
      Array.from({ length: 50 }, () => ({ kind: 'status' as const, status: 500 })),
      (request) => !request.url.pathname.toLowerCase().endsWith(scope.id.split('/').at(-1) ?? ''),
    );
    const read = await readScopeEstate(served.targeted, scope, UNLIMITED);
    expect(read.kind).toBe('failed');
    expect(read.kind === 'failed' && read.failures[0]?.reason).toMatch(/HTTP 500/);
    // The scope NSG itself was read: the failure is in its context, and it is not taken as an answer.
    expect(served.transport.requests.some((r) => r.status === 200)).toBe(true);
  });
});
