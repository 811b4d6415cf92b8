import { beforeAll, describe, expect, it } from 'vitest';
import { useAzurite } from '../support/azurite.js';
import { createFindingsStore, type FindingsStore, type TransitionKind } from '../../lib/store/index.js';
import { LAST_SEEN_RESOLUTION_MS } from '../../lib/store/lifecycle.js';
import type { EvaluationResult, Finding } from '../../lib/verdicts/finding.js';
import { evaluation, freshTables, makeFinding, nsgId, steppingClock, SUB_B } from './support.js';

const azurite = useAzurite();

function newStore(label: string, clock = steppingClock('2025-03-01T00:00:00.000Z')): FindingsStore {
  return createFindingsStore({
    connection: { kind: 'connectionString', connectionString: azurite.connectionString },
    tables: freshTables(label),
    now: clock.now,
    retry: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
  });
}

const A = nsgId('nsg-A');
const B = nsgId('nsg-B');
const sshA = makeFinding('NSG-002', A);
const rdpA = makeFinding('NSG-001', A);
const sshB = makeFinding('NSG-002', B);

type Step = { apply: EvaluationResult; expect: [TransitionKind, Finding][] };

const lifecycles: { name: string; steps: Step[] }[] = [
  {
    name: 'open → unchanged → resolved → reopened',
    steps: [
      { apply: evaluation({ read: [A], findings: [sshA] }), expect: [['opened', sshA]] },
      { apply: evaluation({ read: [A], findings: [sshA] }), expect: [] },
      { apply: evaluation({ read: [A], findings: [] }), expect: [['resolved', sshA]] },
      { apply: evaluation({ read: [A], findings: [] }), expect: [] },
      { apply: evaluation({ read: [A], findings: [sshA] }), expect: [['reopened', sshA]] },
    ],
  },
  {
    name: 'a targeted evaluation of NSG A never resolves NSG B',
    steps: [
      { apply: evaluation({ read: [A, B], findings: [sshA, sshB] }), expect: [['opened', sshA], ['opened', sshB]] },
      { apply: evaluation({ read: [A], findings: [] }), expect: [['resolved', sshA]] },
      { apply: evaluation({ read: [B], findings: [sshB] }), expect: [] },
    ],
  },
  {
    name: 'an unreadable resource never resolves, even when also listed as read',
    steps: [
      { apply: evaluation({ read: [A], findings: [sshA, rdpA] }), expect: [['opened', rdpA], ['opened', sshA]] },
      { apply: evaluation({ unreadable: [{ resourceId: A, reason: '429 throttled' }] }), expect: [] },
      { apply: evaluation({ read: [A], unreadable: [{ resourceId: A.toUpperCase(), reason: 'timeout' }] }), expect: [] },
      { apply: evaluation({ read: [A], findings: [sshA] }), expect: [['resolved', rdpA]] },
    ],
  },
  {
    name: 'a resource with an input error is not judged: nothing of it resolves',
    steps: [
      { apply: evaluation({ read: [A], findings: [sshA, rdpA] }), expect: [['opened', rdpA], ['opened', sshA]] },
      {
        apply: evaluation({ read: [A], findings: [sshA], errors: [{ resourceId: A, rule: 'bad', field: 'destinationPortRange', message: 'port 70000' }] }),
        expect: [],
      },
    ],
  },
  {
    name: 'a deleted resource resolves its findings; ids match in any casing',
    steps: [
      { apply: evaluation({ read: [A.toLowerCase()], findings: [sshA] }), expect: [['opened', sshA]] },
      { apply: evaluation({ deleted: [A.toUpperCase() + '/'] }), expect: [['resolved', sshA]] },
    ],
  },
  {
    name: 'a resource not read at all is left alone',
    steps: [
      { apply: evaluation({ read: [A], findings: [sshA] }), expect: [['opened', sshA]] },
      { apply: evaluation({ read: [B], findings: [] }), expect: [] },
    ],
  },
];

describe('applyEvaluation lifecycle', () => {
  it.each(lifecycles)('$name', async ({ steps }) => {
    const store = newStore('life');
    for (const [i, step] of steps.entries()) {
      const transitions = await store.applyEvaluation(step.apply, { eventId: `event-${i}` });
      const got = transitions.map((t) => [t.kind, t.finding.fingerprint]).sort();
      const want = step.expect.map(([kind, f]) => [kind, f.fingerprint]).sort();
      expect(got, `step ${i}`).toEqual(want);
      for (const t of transitions) expect(t.eventId).toBe(`event-${i}`);
    }
  });

  it('keeps firstSeen, moves lastSeen, and records who changed what in the history', async () => {
    const clock = steppingClock('2025-03-01T00:00:00.000Z', LAST_SEEN_RESOLUTION_MS);
    const store = newStore('seen', clock);
    const [opened] = await store.applyEvaluation(evaluation({ read: [A], findings: [sshA] }), {
      eventId: 'e1',
      correlationId: 'c1',
      changedBy: 'alice@contoso.com',
      eventTime: new Date('2025-03-01T00:00:30.000Z'),
    });
    expect(opened?.kind).toBe('opened');
    await store.applyEvaluation(evaluation({ read: [A], findings: [sshA] }));
    await store.applyEvaluation(evaluation({ read: [A] }), { eventId: 'e3', changedBy: 'bob@contoso.com' });
    const got = await store.getFinding(opened!.finding.id);
    expect(got?.finding).toMatchObject({
      status: 'resolved',
      firstSeen: opened!.finding.firstSeen,
      changedBy: 'bob@contoso.com',
      message: sshA.message,
      evidence: sshA.evidence,
      remediation: sshA.remediation,
    });
    expect(got!.finding.lastSeen > opened!.finding.lastSeen).toBe(true);
    expect(got!.finding.resolvedAt! > got!.finding.lastSeen).toBe(true);
    expect(got!.history.map((h) => [h.kind, h.previousStatus, h.status, h.eventId, h.changedBy])).toEqual([
      ['opened', undefined, 'open', 'e1', 'alice@contoso.com'],
      ['resolved', 'open', 'resolved', 'e3', 'bob@contoso.com'],
    ]);
    expect(got!.history[0]).toMatchObject({ correlationId: 'c1', eventTime: '2025-03-01T00:00:30.000Z' });
  });

  it('decides the same from a read started ahead, and reads what that read did not cover', async () => {
    const store = newStore('ahead');
    const opened = await store.applyEvaluation(evaluation({ read: [A, B], findings: [sshA, sshB] }), {}, store.readAhead([A]));
    expect(opened.map((t) => t.kind)).toEqual(['opened', 'opened']);
    // B is not in the read ahead: its stored finding is still found (no second 'opened').
    expect(await store.applyEvaluation(evaluation({ read: [A, B], findings: [sshA, sshB] }), {}, store.readAhead([A]))).toEqual([]);
    const resolved = await store.applyEvaluation(evaluation({ read: [A, B], findings: [sshB] }), {}, store.readAhead([A, B]));
    expect(resolved.map((t) => [t.kind, t.finding.resourceId])).toEqual([['resolved', A]]);
  });

  it('reports a read ahead that failed where the evaluation is applied, and nowhere else', async () => {
    const store = createFindingsStore({
      connection: { kind: 'connectionString', connectionString: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1' },
      tables: freshTables('aheadfails'),
      retry: { maxRetries: 0, retryDelayInMs: 1, maxRetryDelayInMs: 1 },
    });
    const ahead = store.readAhead([A]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(store.applyEvaluation(evaluation({ read: [A] }), {}, ahead)).rejects.toThrow(/findings store/);
  });

  it('writes nothing for an unchanged finding seen again within the lastSeen resolution', async () => {
    const clock = steppingClock('2025-03-01T00:00:00.000Z', 60_000);
    const store = newStore('seenlately', clock);
    const [opened] = await store.applyEvaluation(evaluation({ read: [A], findings: [sshA] }));
    await store.applyEvaluation(evaluation({ read: [A], findings: [sshA] }));
    expect((await store.getFinding(opened!.finding.id))?.finding.lastSeen).toBe(opened!.finding.lastSeen);
    clock.advance(LAST_SEEN_RESOLUTION_MS);
    await store.applyEvaluation(evaluation({ read: [A], findings: [sshA] }));
    expect((await store.getFinding(opened!.finding.id))!.finding.lastSeen > opened!.finding.lastSeen).toBe(true);
  });

  it('updates content (message, severity) without a transition', async () => {
    const store = newStore('content');
    await store.applyEvaluation(evaluation({ read: [A], findings: [sshA] }));
    const changed = { ...sshA, severity: 'critical' as const, message: 'now every port' };
    expect(await store.applyEvaluation(evaluation({ read: [A], findings: [changed] }))).toEqual([]);
    const page = await store.listFindings({ resource: A });
    expect(page.items.map((f) => [f.severity, f.message, f.status])).toEqual([['critical', 'now every port', 'open']]);
  });
});

describe('queries', () => {
  const store = () => shared;
  let shared: FindingsStore;
  const findings = [
    makeFinding('NSG-002', nsgId('n1'), { severity: 'high' }),
    makeFinding('NSG-001', nsgId('n1'), { severity: 'high' }),
    makeFinding('NSG-004', nsgId('n2'), { severity: 'low', scope: '80' }),
    makeFinding('NSG-004', nsgId('n2'), { severity: 'low', scope: '443' }),
    makeFinding('NSG-007', nsgId('n3', SUB_B), { severity: 'critical' }),
    makeFinding('NSG-012', nsgId('n10'), { severity: 'info' }),
  ];
  beforeAll(async () => {
    shared = newStore('query');
    await shared.applyEvaluation(evaluation({ read: findings.map((f) => f.resourceId), findings }));
    await shared.applyEvaluation(evaluation({ read: [nsgId('n2')], findings: [findings[2]!] }));
  });

  const cases: { name: string; query: Parameters<FindingsStore['listFindings']>[0]; want: string[] }[] = [
    { name: 'everything', query: {}, want: findings.map((f) => f.fingerprint) },
    { name: 'one resource (n1, not n10)', query: { resource: nsgId('n1').toUpperCase() }, want: [findings[0]!, findings[1]!].map((f) => f.fingerprint) },
    { name: 'one subscription', query: { subscription: SUB_B.toUpperCase() }, want: [findings[4]!.fingerprint] },
    { name: 'by status', query: { status: 'resolved' }, want: [findings[3]!.fingerprint] },
    { name: 'by severity', query: { severity: 'low' }, want: [findings[2]!, findings[3]!].map((f) => f.fingerprint) },
    { name: 'by rule and status', query: { ruleId: 'NSG-004', status: 'open' }, want: [findings[2]!.fingerprint] },
    { name: 'resource outside the subscription', query: { resource: nsgId('n1'), subscription: SUB_B }, want: [] },
  ];
  it.each(cases)('listFindings: $name', async ({ query, want }) => {
    const page = await store().listFindings(query);
    expect(page.items.map((f) => f.fingerprint).sort()).toEqual([...want].sort());
    expect(page.continuationToken).toBeUndefined();
  });

  it('pages with a continuation token and sees every finding once', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store().listFindings({ limit: 2, ...(token ? { continuationToken: token } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((f) => f.fingerprint));
      token = page.continuationToken;
      pages += 1;
    } while (token && pages < 10);
    expect(seen.sort()).toEqual(findings.map((f) => f.fingerprint).sort());
  });

  it('refuses a continuation token it did not issue, and clamps odd page sizes', async () => {
    await expect(store().listFindings({ continuationToken: 'not-a-token' })).rejects.toMatchObject({
      name: 'StoreQueryError',
      field: 'continuationToken',
    });
    expect((await store().listFindings({ limit: Number.NaN })).items).toHaveLength(findings.length);
    expect((await store().listFindings({ limit: 0 })).items).toHaveLength(1);
  });

  it('counts open findings by severity', async () => {
    expect(await store().countOpenFindings()).toEqual({ critical: 1, high: 2, medium: 0, low: 1, info: 1 });
  });

  it('lists history in a time window', async () => {
    const all = await store().listHistory();
    expect(all.map((h) => h.kind).sort()).toEqual([...Array(6).fill('opened'), 'resolved']);
    const last = all.at(-1)!;
    expect(last.kind).toBe('resolved');
    const recent = await store().listHistory({ since: new Date(last.at) });
    expect(recent.map((h) => h.id)).toEqual([last.id]);
    expect(await store().listHistory({ until: new Date(all[0]!.at) })).toEqual([]);
    expect((await store().listHistory({ kinds: ['resolved'] })).map((h) => h.id)).toEqual([last.id]);
  });

  it('getFinding returns undefined for an unknown or malformed id', async () => {
    expect(await store().getFinding('nope')).toBeUndefined();
    expect(await store().getFinding('~2fsubscriptions~2fx!NSG-001!')).toBeUndefined();
    expect(await store().getFinding('../../etc/passwd')).toBeUndefined();
  });
});
