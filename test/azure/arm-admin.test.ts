/**
 * Each network's effective security admin rules, read live through the real
 * NetworkManagementClient (`listNetworkManagerEffectiveSecurityAdminRules`) over a test transport
 * serving the REST shape of the corpus example (NetworkManagerEffectiveSecurityAdminRulesList,
 * 2024-07-01): pages followed by skipToken, the read charged to the budget, the rules deciding
 * flows, and a failed read failing the inventory rather than judging without it.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createArmReader } from '../../lib/azure/arm.js';
import { armSource } from '../../lib/azure/arm-source.js';
import { createReadBudgets } from '../../lib/azure/budget.js';
import { loadEstate } from '../../lib/estate/index.js';
import { createFlowVerifier } from '../../lib/flow/verifier.js';
import { CORPUS, readJson } from '../estate/corpus.js';
import { createArmEstate, createArmTransport, createVirtualClock, serveEstate, testCredential } from '../support/arm-transport.js';
import { syntheticEstate } from '../support/arm-estate.js';

type Json = Record<string, unknown>;

/** The corpus example's one rule (a Deny of TCP 22 from anywhere, priority 1), and a second page's AlwaysAllow of 3389. */
function effectiveItems(): Json[] {
  const example = readJson(resolve(CORPUS, 'rest-api-examples/2024-07-01/NetworkManagerEffectiveSecurityAdminRulesList.json')) as Json;
  const body = ((example['responses'] as Json)['200'] as Json)['body'] as { value: Json[] };
  const [rule] = body.value;
  if (!rule) throw new Error('the example has no rule');
  const always = { ...rule, id: String(rule['id']).replace(/SampleAdminRule$/, 'AlwaysRdp'), kind: 'Custom', properties: { ...(rule['properties'] as Json), destinationPortRanges: ['3389'], access: 'AlwaysAllow', priority: 2 } };
  return [rule, always];
}

describe('effective security admin rules, live', () => {
  const synthetic = syntheticEstate({ nsgs: 6, vnets: 2, nics: 8, seed: 13 });

  function setup(items: Json[]) {
    const clock = createVirtualClock();
    const transport = createArmTransport({ clock });
    serveEstate(transport, createArmEstate(synthetic.resources), { pageSize: 50, adminPageSize: 1, effectiveAdminRules: () => items });
    const budgets = createReadBudgets({ capacity: 1000, refillPerSecond: 1e-9, sweepReserve: 0 }, clock);
    const reader = createArmReader({ credential: testCredential(), httpClient: transport, clock, retry: { maxAttempts: 2 }, budgets });
    return { transport, reader, budgets };
  }

  it('reads every page through the SDK operation, as ARM sends it, with the network it is for', async () => {
    const { reader, transport } = setup(effectiveItems());
    const vnet = synthetic.resources.find((r) => r['type'] === 'Microsoft.Network/virtualNetworks');
    const read = await reader.readEffectiveAdminRules(String(vnet?.['id']));
    expect(read).toMatchObject({ status: 'read', reads: 2, document: { virtualNetworkId: vnet?.['id'], value: [{ kind: 'Default', properties: { access: 'Deny' } }, { kind: 'Custom', properties: { access: 'AlwaysAllow' } }] } });
    const posts = transport.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.path)).toEqual([`${String(vnet?.['id'])}/listNetworkManagerEffectiveSecurityAdminRules`, `${String(vnet?.['id'])}/listNetworkManagerEffectiveSecurityAdminRules`]);
    expect(posts[0]?.url).toMatch(/api-version=2025-05-01/);
  });

  it('an inventory carries each network\'s admin rules, and they decide its flows', async () => {
    const { reader } = setup(effectiveItems());
    const read = await armSource({ reader, subscriptions: [synthetic.subscriptionId] }).readInventory(synthetic.subscriptionId, { priority: 'sweep' });
    expect(read.failures).toEqual([]);
    expect(read.perNetworkReads).toBe(4);
    const estate = loadEstate(read.documents);
    expect(estate.errors).toEqual([]);
    expect(estate.securityAdmin?.effective.size).toBe(2);
    const nic = [...estate.networkInterfaces.values()].find((n) => n.ipConfigurations[0]?.privateIpAddresses[0] !== undefined);
    const ip = nic?.ipConfigurations[0]?.privateIpAddresses[0] ?? '';
    const verifier = createFlowVerifier(estate);
    const ask = (port: number) => verifier.verify({ nic: nic?.id, direction: 'Inbound', protocol: 'Tcp', source: '198.51.100.7', sourcePort: 50000, destination: ip, destinationPort: port });
    expect(ask(22)).toMatchObject({ ok: true, access: 'Deny', decidedBy: [{ layer: 'admin', rule: 'SampleAdminRule', priority: 1, admin: { action: 'Deny' } }] });
    expect(ask(3389)).toMatchObject({ ok: true, access: 'Allow', decidedBy: [{ layer: 'admin', rule: 'AlwaysRdp', admin: { action: 'AlwaysAllow' } }] });
  });

  it('a list that cannot be read fails the inventory: nothing is judged without it', async () => {
    const { reader, transport } = setup(effectiveItems());
    transport.failNext([{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }], (r) => r.method === 'POST' && r.url.pathname.includes('/virtualNetworks/vnet-0/'));
    const read = await armSource({ reader, subscriptions: [] }).readInventory(synthetic.subscriptionId);
    expect(read.failures).toEqual([expect.objectContaining({ target: expect.stringMatching(/listNetworkManagerEffectiveSecurityAdminRules$/), reason: expect.stringMatching(/HTTP 500/) })]);
  });

  it('draws on the read budget like every ARM read', async () => {
    const { reader, budgets } = setup([]);
    const vnet = synthetic.resources.find((r) => r['type'] === 'Microsoft.Network/virtualNetworks');
    const budget = budgets.forKey(synthetic.subscriptionId, 'default');
    const before = budget.available();
    const read = await reader.readEffectiveAdminRules(String(vnet?.['id']), { lane: 'sweep' });
    expect(read).toMatchObject({ status: 'read', reads: 1, document: { value: [] } });
    expect(before - budget.available()).toBe(1);
  });
});
