/**
 * Security admin rules through the pipeline, end to end: the real NetworkManagementClient reads
 * each network's effective security admin rules (test transport, REST shape), the rules judge,
 * findings are stored in Azurite. An AlwaysAllow of SSH from the Internet opens a finding on the
 * admin rule; once the rule is gone (a rule delete event re-judges the subscription) it resolves.
 * https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins
 */
import { describe, expect, it } from 'vitest';
import { createAlerter } from '../../lib/alerts/index.js';
import { createArmReader } from '../../lib/azure/arm.js';
import { armSource } from '../../lib/azure/arm-source.js';
import { createReadBudgets } from '../../lib/azure/budget.js';
import { scopesForChange } from '../../lib/azure/scopes.js';
import { createPipeline } from '../../lib/pipeline/pipeline.js';
import { evaluateRules } from '../../lib/runtime/catalogue.js';
import { createFindingsStore } from '../../lib/store/index.js';
import { useAzurite } from '../support/azurite.js';
import { syntheticEstate } from '../support/arm-estate.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential } from '../support/arm-transport.js';
import { freshTables } from '../store/support.js';
import { guardRailOf } from '../support/network-manager.js';

const azurite = useAzurite();

describe('security admin rules in the pipeline', () => {
  it('an AlwaysAllow admin rule opens a finding on itself, which resolves when the rule goes', async () => {
    const synthetic = syntheticEstate({ seed: 5, nsgs: 8, vnets: 2, nics: 10 });
    const sub = synthetic.subscriptionId;
    const { rule: ruleId, item } = guardRailOf(sub);
    let items: unknown[] = [item];
    const transport = createArmTransport();
    serveEstate(transport, createArmEstate(synthetic.resources), { pageSize: 100, effectiveAdminRules: () => items });
    const reader = createArmReader({ httpClient: transport, credential: testCredential(), budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }) });
    const store = createFindingsStore({ connection: { kind: 'connectionString', connectionString: azurite.connectionString }, tables: freshTables('adminpipe') });
    const pipeline = createPipeline({ source: armSource({ reader, subscriptions: [sub] }), store, alerter: createAlerter({ sinks: [] }), evaluate: evaluateRules });

    const [swept] = await pipeline.sweep();
    expect(swept?.status).toBe('evaluated');
    const onRule = async () => (await store.listFindings({ status: 'open' })).items.filter((f) => f.resourceId.toLowerCase() === ruleId.toLowerCase());
    const opened = await onRule();
    // SSH from the Internet (NSG-002), and from elsewhere than Bastion to the VMs it serves (BAS-003).
    expect(opened.map((f) => f.ruleId).sort()).toEqual(['BAS-003', 'NSG-002']);
    expect(opened.find((f) => f.ruleId === 'NSG-002')?.message).toMatch(/security admin rule always-ssh \(priority 5, AlwaysAllow\)/);

    // The rule is deleted: its event names the rule, which re-judges the subscription.
    items = [];
    const scopes = scopesForChange({ resourceId: ruleId, resourceType: 'Microsoft.Network/networkManagers/securityAdminConfigurations/ruleCollections/rules', operation: 'delete' });
    if (!scopes.ok) throw new Error(scopes.error.message);
    expect(scopes.scopes.map((s) => [s.kind, s.id])).toEqual([['subscription', ruleId.toLowerCase()]]);
    const outcome = await pipeline.evaluateScope(scopes.scopes[0] ?? { kind: 'subscription', id: `/subscriptions/${sub}`, subscriptionId: sub });
    expect(outcome.status).toBe('evaluated');
    expect(await onRule()).toEqual([]);
    const resolved = await store.listFindings({ status: 'resolved' });
    expect(resolved.items.some((f) => f.resourceId.toLowerCase() === ruleId.toLowerCase())).toBe(true);
  });
});
