import { describe, expect, it } from 'vitest';
import { useAzurite } from '../support/azurite.js';
import { createFindingsStore, type FindingsStore, type NewSuppression } from '../../lib/store/index.js';
import {
  activeSuppressionFor,
  MAX_PATTERN_LENGTH,
  resourcePatternMatches,
  wildcardMatch,
} from '../../lib/store/suppressions.js';
import { evaluation, freshTables, makeFinding, nsgId, steppingClock } from './support.js';

const azurite = useAzurite();

const START = '2025-06-01T12:00:00.000Z';
const HOUR = 3_600_000;

function newStore(): { store: FindingsStore; clock: ReturnType<typeof steppingClock> } {
  const clock = steppingClock(START);
  const store = createFindingsStore({
    connection: { kind: 'connectionString', connectionString: azurite.connectionString },
    tables: freshTables('sup'),
    now: clock.now,
    retry: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
  });
  return { store, clock };
}

const A = nsgId('nsg-a');
const B = nsgId('nsg-b');
const sshA = makeFinding('NSG-002', A);
const sshB = makeFinding('NSG-002', B);
const rdpA = makeFinding('NSG-001', A);
const inOneHour = (): Date => new Date(Date.parse(START) + HOUR);

function suppression(over: Partial<NewSuppression> = {}): NewSuppression {
  return {
    ruleId: 'NSG-002',
    resourcePattern: '/subscriptions/*/networkSecurityGroups/NSG-A',
    reason: 'jump host, approved in CHG-1042',
    expiresAt: inOneHour(),
    createdBy: 'carol@contoso.com',
    ...over,
  };
}

describe('resource patterns', () => {
  const cases: [pattern: string, id: string, matches: boolean][] = [
    ['*', A, true],
    ['/subscriptions/*/networkSecurityGroups/nsg-a', A, true],
    ['/SUBSCRIPTIONS/*/NETWORKSECURITYGROUPS/NSG-A', A, true],
    ['*/nsg-?', A, true],
    ['*/nsg-?', nsgId('nsg-ab'), false],
    ['*/nsg-a', nsgId('nsg-ab'), false],
    ['*/nsg-a*', nsgId('nsg-ab'), true],
    ['/subscriptions/*/resourcegroups/rg-net/*', A, true],
    ['*(x)+[y].{z}|$^', '/a(x)+[y].{z}|$^', true],
    ['*(x)+[y].{z}|$^', '/a(x)+[y]X{z}|$^', false],
  ];
  it.each(cases)('%s ~ %s → %s', (pattern, id, matches) => {
    expect(resourcePatternMatches(pattern, id)).toBe(matches);
  });

  const wildcards: [pattern: string, text: string, matches: boolean][] = [
    ['', '', true],
    ['', 'a', false],
    ['*', '', true],
    ['?', '', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'axxbxxc', true],
    ['a*b*c', 'axxbxxcx', false],
    ['*ab', 'aab', true],
    ['a*a', 'a', false],
    ['*?*?', 'x', false],
    ['*?*?', 'xy', true],
    ['??*', 'ü€', true],
    ['*a?c*', 'xxabdabcx', true],
    ['*a?c*', 'xxabdabdx', false],
  ];
  it.each(wildcards)('wildcard %j ~ %j → %s', (pattern, text, matches) => {
    expect(wildcardMatch(pattern, text)).toBe(matches);
  });

  it('matches hostile patterns in work proportional to the id, never by backtracking', () => {
    const id = `/subscriptions/${'a'.repeat(900)}`;
    for (const pattern of ['*?*?*?*?*?*?!', `${'*a'.repeat(200)}!`, `*${'?'.repeat(60)}!`]) {
      const work = { steps: 0 };
      expect(wildcardMatch(pattern, id, work)).toBe(false);
      expect(work.steps).toBeLessThanOrEqual(id.length * pattern.length + id.length);
    }
    const work = { steps: 0 };
    expect(wildcardMatch('*?*?*?*?*?*?!', `${'a'.repeat(100_000)}!`, work)).toBe(true);
    expect(work.steps).toBeLessThan(400_000);
  });

  it('picks the longest-lasting of several matching suppressions, ignoring expired ones', () => {
    const base = { reason: 'r', createdBy: 'u', createdAt: START, resourcePattern: '*' };
    const list = [
      { ...base, id: 'short', ruleId: 'NSG-002', expiresAt: '2025-06-01T13:00:00.000Z' },
      { ...base, id: 'long', ruleId: '*', expiresAt: '2025-06-02T13:00:00.000Z' },
      { ...base, id: 'expired', ruleId: 'NSG-002', expiresAt: '2025-06-01T11:00:00.000Z' },
      { ...base, id: 'other-rule', ruleId: 'NSG-001', expiresAt: '2025-07-01T00:00:00.000Z' },
    ];
    expect(activeSuppressionFor(list, 'nsg-002', A, new Date(START))?.id).toBe('long');
    expect(activeSuppressionFor(list, 'NSG-003', A, new Date('2025-06-03T00:00:00Z'))).toBeUndefined();
  });
});

describe('addSuppression validation', () => {
  const cases: [string, Partial<NewSuppression>, string][] = [
    ['empty reason', { reason: '  ' }, 'reason'],
    ['no owner', { createdBy: '' }, 'createdBy'],
    ['empty pattern', { resourcePattern: '' }, 'resourcePattern'],
    ['bad rule id', { ruleId: 'NSG 002; drop' }, 'ruleId'],
    ['expiry in the past', { expiresAt: new Date('2025-01-01T00:00:00Z') }, 'expiresAt'],
    ['invalid expiry', { expiresAt: new Date('not a date') }, 'expiresAt'],
    ['control characters', { reason: 'a\u0000b' }, 'reason'],
    ['pattern too long', { resourcePattern: `/subscriptions/${'x'.repeat(MAX_PATTERN_LENGTH)}` }, 'resourcePattern'],
  ];
  it.each(cases)('%s → invalid %s', async (_name, over, field) => {
    const { store } = newStore();
    const result = await store.addSuppression(suppression(over));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: 'invalid', field });
    expect(await store.listSuppressions()).toEqual([]);
  });
});

describe('suppression lifecycle (injected clock)', () => {
  it('mutes matching open findings at once, keeps evaluating them, and reopens them when it expires', async () => {
    const { store, clock } = newStore();
    await store.applyEvaluation(evaluation({ read: [A, B], findings: [sshA, sshB, rdpA] }));

    const added = await store.addSuppression(suppression());
    expect(added.ok).toBe(true);
    if (!added.ok) return;
    expect(added.transitions.map((t) => [t.kind, t.finding.fingerprint, t.changedBy])).toEqual([
      ['suppressed', sshA.fingerprint, 'carol@contoso.com'],
    ]);
    const muted = (await store.listFindings({ status: 'suppressed' })).items;
    expect(muted.map((f) => f.fingerprint)).toEqual([sshA.fingerprint]);
    expect(muted[0]!.suppression).toEqual({
      id: added.suppression.id,
      reason: 'jump host, approved in CHG-1042',
      expiresAt: inOneHour().toISOString(),
      by: 'carol@contoso.com',
    });

    // Still evaluated, still suppressed, no transition.
    expect(await store.applyEvaluation(evaluation({ read: [A, B], findings: [sshA, sshB, rdpA] }))).toEqual([]);
    expect((await store.listSuppressions()).map((s) => s.active)).toEqual([true]);

    clock.advance(2 * HOUR);
    expect((await store.listSuppressions()).map((s) => s.active)).toEqual([false]);
    const expired = await store.applyEvaluation(evaluation({ read: [A, B], findings: [sshA, sshB, rdpA] }), {
      eventId: 'after-expiry',
    });
    expect(expired.map((t) => [t.kind, t.previousStatus, t.finding.status, t.finding.fingerprint])).toEqual([
      ['suppressionExpired', 'suppressed', 'open', sshA.fingerprint],
    ]);
    expect(expired[0]!.finding.suppression).toBeUndefined();
    const history = await store.getFinding(expired[0]!.finding.id);
    expect(history?.history.map((h) => h.kind)).toEqual(['opened', 'suppressed', 'suppressionExpired']);
  });

  it('expireSuppressions() reopens expired ones without an evaluation, once', async () => {
    const { store, clock } = newStore();
    await store.applyEvaluation(evaluation({ read: [A], findings: [sshA] }));
    const added = await store.addSuppression(suppression({ resourcePattern: '*' }));
    expect(added.ok && added.transitions.length).toBe(1);
    expect(await store.expireSuppressions()).toEqual([]);
    clock.advance(HOUR);
    const reopened = await store.expireSuppressions({ correlationId: 'timer' });
    expect(reopened.map((t) => [t.kind, t.correlationId])).toEqual([['suppressionExpired', 'timer']]);
    expect(await store.expireSuppressions()).toEqual([]);
    expect((await store.listFindings({ status: 'open' })).items).toHaveLength(1);
  });

  it('removing a suppression reopens what it muted; another matching one takes over instead', async () => {
    const { store } = newStore();
    await store.applyEvaluation(evaluation({ read: [A, B], findings: [sshA, sshB] }));
    const narrow = await store.addSuppression(suppression({ resourcePattern: '*/nsg-a' }));
    const broad = await store.addSuppression(suppression({ resourcePattern: '*', expiresAt: new Date(Date.parse(START) + 10 * HOUR) }));
    if (!narrow.ok || !broad.ok) throw new Error('setup failed');
    expect(broad.transitions.map((t) => t.finding.fingerprint)).toEqual([sshB.fingerprint]);

    const removedBroad = await store.removeSuppression(broad.suppression.id, { changedBy: 'dave@contoso.com' });
    expect(removedBroad.ok && removedBroad.transitions.map((t) => [t.kind, t.finding.fingerprint, t.changedBy])).toEqual([
      ['suppressionExpired', sshB.fingerprint, 'dave@contoso.com'],
    ]);
    const removedNarrow = await store.removeSuppression(narrow.suppression.id);
    expect(removedNarrow.ok && removedNarrow.transitions.map((t) => t.finding.fingerprint)).toEqual([sshA.fingerprint]);
    expect(await store.removeSuppression(narrow.suppression.id)).toMatchObject({ ok: false, error: { code: 'notFound' } });
    expect(await store.removeSuppression('../x#?')).toMatchObject({ ok: false, error: { code: 'notFound' } });
  });

  it('a new finding that matches a suppression is recorded as suppressed, never as opened', async () => {
    const { store } = newStore();
    await store.addSuppression(suppression());
    const first = await store.applyEvaluation(evaluation({ read: [A], findings: [sshA, rdpA] }));
    expect(first.map((t) => [t.kind, t.finding.ruleId]).sort()).toEqual([
      ['opened', 'NSG-001'],
      ['suppressed', 'NSG-002'],
    ]);
  });

  it('a suppressed finding that goes away resolves, and comes back suppressed while the suppression lasts', async () => {
    const { store } = newStore();
    await store.applyEvaluation(evaluation({ read: [A], findings: [sshA] }));
    await store.addSuppression(suppression());
    const gone = await store.applyEvaluation(evaluation({ read: [A] }));
    expect(gone.map((t) => [t.kind, t.previousStatus])).toEqual([['resolved', 'suppressed']]);
    const back = await store.applyEvaluation(evaluation({ read: [A], findings: [sshA] }));
    expect(back.map((t) => [t.kind, t.previousStatus, t.finding.status])).toEqual([['suppressed', 'resolved', 'suppressed']]);
  });

  it('counts only unsuppressed open findings', async () => {
    const { store } = newStore();
    await store.applyEvaluation(evaluation({ read: [A, B], findings: [sshA, sshB] }));
    await store.addSuppression(suppression());
    expect((await store.countOpenFindings()).high).toBe(1);
  });
});
