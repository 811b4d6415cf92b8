/**
 * The lifecycle of findings on security admin rules, end to end: the real NetworkManagementClient
 * reads each network's effective security admin rules (test transport, REST shape), the rules
 * judge, findings and their outbox live in Azurite, alerts go to a recording sink. Whatever takes a
 * rule away from the networks (the rule, its collection, its configuration or its manager deleted,
 * or a commit that leaves the configuration out of the networks' region) leaves the effective list
 * without it (https://learn.microsoft.com/rest/api/virtualnetworkmanager/list-effective-security-admin-rules/list,
 * https://learn.microsoft.com/azure/virtual-network-manager/concept-deployments): the re-judged
 * subscription resolves the rule's findings once, with one alert. A list that cannot be read
 * leaves them open.
 */
import { describe, expect, it } from 'vitest';
import { createAlerter, type AlertSummary } from '../../lib/alerts/index.js';
import { createArmReader } from '../../lib/azure/arm.js';
import { armSource } from '../../lib/azure/arm-source.js';
import { createReadBudgets } from '../../lib/azure/budget.js';
import { scopesForChange, type Scope } from '../../lib/azure/scopes.js';
import { createPipeline } from '../../lib/pipeline/pipeline.js';
import { evaluateRules } from '../../lib/runtime/catalogue.js';
import { createFindingsStore } from '../../lib/store/index.js';
import { useAzurite } from '../support/azurite.js';
import { syntheticEstate } from '../support/arm-estate.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential } from '../support/arm-transport.js';
import { freshTables } from '../store/support.js';
import { guardRailOf } from '../support/network-manager.js';

const azurite = useAzurite();

const ADMIN = 'Microsoft.Network/networkManagers';

function setup(label: string, subscriptions: { seed: number; subscriptionId: string }[]) {
  const estates = subscriptions.map((s) => syntheticEstate({ seed: s.seed, subscriptionId: s.subscriptionId, nsgs: 6, vnets: 2, nics: 8 }));
  const transport = createArmTransport();
  /** What each network's effective list holds, by lower-case network id prefix (its subscription). */
  const applied = new Map<string, unknown[]>();
  serveEstate(transport, createArmEstate(estates.flatMap((e) => e.resources)), {
    pageSize: 100,
    effectiveAdminRules: (vnetId) => applied.get(vnetId.split('/')[2]?.toLowerCase() ?? '') ?? [],
  });
  const reader = createArmReader({ httpClient: transport, credential: testCredential(), budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }) });
  const store = createFindingsStore({ connection: { kind: 'connectionString', connectionString: azurite.connectionString }, tables: freshTables(label) });
  const announced: AlertSummary[] = [];
  const alerter = createAlerter({
    sinks: [{ name: 'test', digests: false, send: async (messages) => void announced.push(...messages.flatMap((m) => (m.kind === 'transition' ? [m.alert] : []))) }],
  });
  const pipeline = createPipeline({
    source: armSource({ reader, subscriptions: subscriptions.map((s) => s.subscriptionId) }),
    store,
    alerter,
    evaluate: evaluateRules,
  });
  return { transport, applied, store, announced, pipeline };
}

function scopeOf(change: { resourceId: string; resourceType: string; operation: 'write' | 'delete' | 'action' }): Scope {
  const scopes = scopesForChange(change);
  if (!scopes.ok) throw new Error(scopes.error.message);
  const [scope] = scopes.scopes;
  if (!scope) throw new Error(`no scope for ${change.resourceType}`);
  return scope;
}

const SUB = '5e5e5e5e-0000-4000-8000-0000000a0001';

describe('findings on security admin rules resolve when the rule leaves the networks', () => {
  const { manager, configuration, collection, rule, item } = guardRailOf(SUB);
  const cases = [
    { what: 'its rule collection deleted', change: { resourceId: collection, resourceType: `${ADMIN}/securityAdminConfigurations/ruleCollections`, operation: 'delete' as const } },
    { what: 'its security admin configuration deleted', change: { resourceId: configuration, resourceType: `${ADMIN}/securityAdminConfigurations`, operation: 'delete' as const } },
    { what: 'its network manager deleted', change: { resourceId: manager, resourceType: ADMIN, operation: 'delete' as const } },
    { what: 'a commit that leaves its configuration out of the region', change: { resourceId: manager, resourceType: ADMIN, operation: 'action' as const } },
  ];

  for (const [index, { what, change }] of cases.entries()) {
    it(`${what}: resolved once, announced once; an unreadable effective list resolves nothing`, async () => {
      const { transport, applied, store, announced, pipeline } = setup(`admlife${index}`, [{ seed: 11 + index, subscriptionId: SUB }]);
      applied.set(SUB, [item]);
      const onRule = async (status: 'open' | 'resolved') =>
        (await store.listFindings({ status, resource: rule, limit: 1000 })).items;

      const [swept] = await pipeline.sweep();
      expect(swept?.status).toBe('evaluated');
      const opened = await onRule('open');
      expect(opened.map((f) => f.ruleId)).toContain('NSG-002');
      expect(announced.filter((a) => a.kind === 'opened' && a.resourceId.toLowerCase() === rule.toLowerCase()).length).toBe(opened.length);

      // Azure no longer applies the rule; the first re-judgement cannot read the effective lists.
      applied.set(SUB, []);
      transport.failRandomly({ rate: 1, seed: 1, faults: [{ kind: 'status', status: 403 }], match: (r) => r.url.pathname.endsWith('/listNetworkManagerEffectiveSecurityAdminRules') });
      const scope = scopeOf(change);
      expect(scope.kind).toBe('subscription');
      const blind = await pipeline.evaluateScope(scope);
      expect(blind.status).toBe('failed');
      expect(blind.failure).toMatch(/listNetworkManagerEffectiveSecurityAdminRules/);
      expect((await onRule('open')).length).toBe(opened.length);
      expect(announced.some((a) => a.kind === 'resolved')).toBe(false);

      // Read again: every finding on the rule resolves, once, with one alert each.
      transport.clearFaults();
      const outcome = await pipeline.evaluateScope(scope);
      expect(outcome.status).toBe('evaluated');
      expect(await onRule('open')).toEqual([]);
      const resolved = outcome.transitions.filter((t) => t.kind === 'resolved' && t.finding.resourceId.toLowerCase() === rule.toLowerCase());
      expect(resolved.length).toBe(opened.length);
      expect((await onRule('resolved')).length).toBe(opened.length);

      // The same change seen again (a retried event, the next sweep): nothing moves, nothing is announced.
      const again = await pipeline.evaluateScope(scope);
      expect(again.transitions.filter((t) => t.finding.resourceId.toLowerCase() === rule.toLowerCase())).toEqual([]);
      const [next] = await pipeline.sweep();
      expect(next?.transitions.filter((t) => t.finding.resourceId.toLowerCase() === rule.toLowerCase())).toEqual([]);
      const announcedResolved = announced.filter((a) => a.kind === 'resolved' && a.resourceId.toLowerCase() === rule.toLowerCase());
      expect(announcedResolved.length).toBe(opened.length);
      expect(new Set(announcedResolved.map((a) => a.findingId))).toEqual(new Set(opened.map((f) => f.id)));
    });
  }

  it("a subscription settles only what its own networks gave a rule: another subscription's re-judgement leaves it", async () => {
    const OTHER = '5e5e5e5e-0000-4000-8000-0000000a0002';
    const { applied, store, pipeline } = setup('admlifeother', [
      { seed: 21, subscriptionId: SUB },
      { seed: 22, subscriptionId: OTHER },
    ]);
    applied.set(SUB, [item]);
    const outcomes = await pipeline.sweep();
    expect(outcomes.map((o) => o.status)).toEqual(['evaluated', 'evaluated']);
    const open = (await store.listFindings({ status: 'open', resource: rule, limit: 1000 })).items;
    expect(open.map((f) => f.ruleId)).toContain('NSG-002');
    for (const finding of open) expect((finding.evidence.attachments ?? []).every((a) => a.toLowerCase().startsWith(`/subscriptions/${SUB}/`))).toBe(true);

    // OTHER's networks have no admin rules: judging OTHER whole leaves the findings SUB's networks gave the rule.
    const [theirs] = await pipeline.sweep(OTHER);
    expect(theirs?.status).toBe('evaluated');
    expect(theirs?.transitions.filter((t) => t.finding.resourceId.toLowerCase() === rule.toLowerCase())).toEqual([]);
    expect((await store.listFindings({ status: 'open', resource: rule, limit: 1000 })).items.length).toBe(open.length);
    // SUB's networks lose the rule: SUB's re-judgement resolves them.
    applied.set(SUB, []);
    const [own] = await pipeline.sweep(SUB);
    expect(own?.transitions.filter((t) => t.kind === 'resolved' && t.finding.resourceId.toLowerCase() === rule.toLowerCase()).length).toBe(open.length);
  });

  it("a manager in another subscription: what its rule lets past the NSGs is found at each subscription's networks, and each settles its own", async () => {
    // The manager lives in SUB; its group holds OTHER's networks (a platform subscription's manager
    // over landing zones). OTHER is read with Reader on OTHER alone: the effective list names the rule.
    const OTHER = '5e5e5e5e-0000-4000-8000-0000000a0003';
    const { applied, store, pipeline } = setup('admlifeforeign', [
      { seed: 31, subscriptionId: SUB },
      { seed: 32, subscriptionId: OTHER },
    ]);
    const onRule = async (status: 'open' | 'resolved') => (await store.listFindings({ status, resource: rule, limit: 1000 })).items;
    const inSubscription = (sub: string) => (finding: { evidence: { attachments?: string[] } }) =>
      (finding.evidence.attachments ?? []).length > 0 && (finding.evidence.attachments ?? []).every((a) => a.toLowerCase().startsWith(`/subscriptions/${sub}/`));
    const onTheRule = (transitions: readonly { kind: string; finding: { resourceId: string } }[] | undefined, kind: string) =>
      (transitions ?? []).filter((t) => t.kind === kind && t.finding.resourceId.toLowerCase() === rule.toLowerCase());

    applied.set(OTHER, [item]);
    expect((await pipeline.sweep()).map((o) => o.status)).toEqual(['evaluated', 'evaluated']);
    const theirs = await onRule('open');
    expect(theirs.map((f) => f.ruleId)).toContain('NSG-002');
    for (const finding of theirs) {
      expect(inSubscription(OTHER)(finding)).toBe(true);
      expect(finding.scope).toContain(`judged at /subscriptions/${OTHER}`);
    }

    // SUB's own networks get the rule too: SUB's findings open beside OTHER's, none of OTHER's moves.
    applied.set(SUB, [item]);
    const [own] = await pipeline.sweep(SUB);
    const ownOpened = onTheRule(own?.transitions, 'opened');
    expect(ownOpened.length).toBeGreaterThan(0);
    expect(onTheRule(own?.transitions, 'resolved')).toEqual([]);
    expect((await onRule('open')).length).toBe(theirs.length + ownOpened.length);
    // Each subscription's re-judgement, again: nothing moves.
    for (const outcome of await pipeline.sweep()) expect(onTheRule(outcome.transitions, 'opened').length + onTheRule(outcome.transitions, 'resolved').length).toBe(0);

    // OTHER's networks lose the rule: OTHER's re-judgement resolves OTHER's findings, once, and only those.
    applied.set(OTHER, []);
    const [other] = await pipeline.sweep(OTHER);
    const resolved = onTheRule(other?.transitions, 'resolved');
    expect(resolved.length).toBe(theirs.length);
    const stillOpen = await onRule('open');
    expect(stillOpen.length).toBe(ownOpened.length);
    for (const finding of stillOpen) expect(inSubscription(SUB)(finding)).toBe(true);
    const [otherAgain] = await pipeline.sweep(OTHER);
    expect(onTheRule(otherAgain?.transitions, 'resolved')).toEqual([]);
  });
});
