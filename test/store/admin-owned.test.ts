/**
 * A subscription's whole re-judgement settles the findings its networks gave security admin rules
 * (EvaluationResult.adminRulesOf), in Azurite: those on rules it no longer holds resolve, once;
 * those on rules it holds but could not judge, those judged at another subscription's networks,
 * and those whose attachments name no subscription stay as they are.
 */
import { odata, TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { createFindingsStore } from '../../lib/store/index.js';
import { useAzurite } from '../support/azurite.js';
import { evaluation, freshTables, makeFinding, nsgId, steppingClock, SUB_A, SUB_B } from './support.js';

const azurite = useAzurite();

/** A rule of a manager in SUB_A (ids as Azure spells them). */
function adminRule(name: string): string {
  return `/subscriptions/${SUB_A}/resourceGroups/rg-avnm/providers/Microsoft.Network/networkManagers/avnm/securityAdminConfigurations/sec/ruleCollections/guard/rules/${name}`;
}

function nic(subscription: string, name: string): string {
  return `/subscriptions/${subscription}/resourceGroups/rg-app/providers/Microsoft.Network/networkInterfaces/${name}`;
}

function onRule(name: string, attachments: string[]) {
  const finding = makeFinding('NSG-002', adminRule(name), { scope: name });
  return { ...finding, evidence: { ...finding.evidence, ...(attachments.length > 0 ? { attachments } : {}) } };
}

describe('findings on security admin rules owned by a subscription re-judgement', () => {
  it('resolves those of rules gone from its networks, and only those, exactly once', async () => {
    const clock = steppingClock('2026-12-02T10:00:00.000Z');
    const store = createFindingsStore({ connection: { kind: 'connectionString', connectionString: azurite.connectionString }, tables: freshTables('adminowned'), now: clock.now });
    const gone = onRule('gone', [nic(SUB_A, 'vm-1'), nic(SUB_A, 'vm-2')]);
    const unjudged = onRule('unjudged', [nic(SUB_A, 'vm-1')]);
    const invalid = onRule('invalid', [nic(SUB_A, 'vm-3')]);
    const elsewhere = onRule('elsewhere', [nic(SUB_B, 'vm-9')]);
    const mixed = onRule('mixed', [nic(SUB_A, 'vm-1'), nic(SUB_B, 'vm-9')]);
    const unnamed = onRule('unnamed', []);
    const opened = await store.applyEvaluation(evaluation({ findings: [gone, unjudged, invalid, elsewhere, mixed, unnamed] }));
    expect(opened.map((t) => t.kind)).toEqual(Array(6).fill('opened'));

    // SUB_A judged whole: it holds `unjudged` (not judged: not in `read`), `invalid` failed validation.
    const result = evaluation({
      errors: [{ resourceId: adminRule('invalid'), field: 'properties.access', message: 'access "Sometimes" is not Allow, Deny or AlwaysAllow' }],
      adminRulesOf: { subscriptionId: SUB_A, held: [adminRule('unjudged').toLowerCase()] },
    });
    const settled = await store.applyEvaluation(result);
    expect(settled.map((t) => [t.kind, t.finding.resourceName])).toEqual([['resolved', 'gone']]);
    expect(await store.applyEvaluation(result)).toEqual([]);

    // SUB_B judged whole: the finding judged at its network resolves; SUB_A's stay.
    const other = await store.applyEvaluation(evaluation({ adminRulesOf: { subscriptionId: SUB_B, held: [] } }));
    expect(other.map((t) => [t.kind, t.finding.resourceName])).toEqual([['resolved', 'elsewhere']]);
    const open = (await store.listFindings({ status: 'open', limit: 1000 })).items.map((f) => f.resourceName).sort();
    expect(open).toEqual(['invalid', 'mixed', 'unjudged', 'unnamed']);
  });

  it('a row kept before judgedIn was written: a sweep that reads its partition settles it from its attachments', async () => {
    const tables = freshTables('adminlegacy');
    const store = createFindingsStore({ connection: { kind: 'connectionString', connectionString: azurite.connectionString }, tables, now: steppingClock('2026-12-02T10:00:00.000Z').now });
    const legacy = onRule('legacy', [nic(SUB_A, 'vm-1')]);
    const [opened] = await store.applyEvaluation(evaluation({ findings: [legacy] }));
    const client = TableClient.fromConnectionString(azurite.connectionString, tables.findings, { allowInsecureConnection: true });
    const rows = client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`RowKey eq ${`f!${opened?.finding.id ?? ''}`}` } });
    let rewritten = 0;
    for await (const row of rows) {
      rewritten += 1;
      expect(row['judgedIn']).toBe(SUB_A);
      const { judgedIn: _dropped, etag: _etag, timestamp: _timestamp, ...rest } = row;
      await client.updateEntity({ ...rest, partitionKey: String(row.partitionKey), rowKey: String(row.rowKey) }, 'Replace');
    }
    expect(rewritten).toBe(1);
    // A sweep of SUB_A: its NSGs read (their partition scanned whole), the rule gone from its networks.
    const nsgs = Array.from({ length: 20 }, (_, i) => nsgId(`nsg-${i}`).toLowerCase());
    const settled = await store.applyEvaluation(evaluation({ read: nsgs, adminRulesOf: { subscriptionId: SUB_A, held: [] } }));
    expect(settled.map((t) => [t.kind, t.finding.resourceName])).toEqual([['resolved', 'legacy']]);
  });
});
