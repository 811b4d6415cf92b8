/**
 * Two Function instances evaluating the same scope at once are two store instances on the same
 * tables. Each transition must be made (and returned, and written to history) exactly once.
 */
import { describe, expect, it } from 'vitest';
import { useAzurite } from '../support/azurite.js';
import { createFindingsStore, type FindingsStore, type Transition } from '../../lib/store/index.js';
import type { EvaluationResult, Finding } from '../../lib/verdicts/finding.js';
import { corpusNsgIds, evaluation, freshTables, makeFinding, observedTransport } from './support.js';

const azurite = useAzurite();

const transport = observedTransport();

function instances(count: number): FindingsStore[] {
  const tables = freshTables('race');
  return Array.from({ length: count }, () =>
    createFindingsStore({
      connection: { kind: 'connectionString', connectionString: azurite.connectionString },
      tables,
      retry: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
      httpClient: transport.httpClient,
    }),
  );
}

/** Lost races seen on the wire: the test is only meaningful if the instances really collided. */
function conflicts(): number {
  return transport.statuses.filter((s) => s === 412 || s === 409).length;
}

const ids = corpusNsgIds().slice(0, 24);
const ssh = ids.map((id) => makeFinding('NSG-002', id));
const rdp = ids.map((id) => makeFinding('NSG-001', id));

/** Round r: which findings are present. Alternates so every round opens, resolves or reopens some. */
function round(r: number): Finding[] {
  return [...ssh.filter((_, i) => (i + r) % 3 !== 0), ...rdp.filter((_, i) => (i * r) % 4 === 1)];
}

describe('concurrent evaluations of the same scope', () => {
  it('real ARM ids from a recorded subscription are available', () => {
    expect(ids.length).toBe(24);
  });

  it('makes each transition once across racing instances, over many rounds', async () => {
    const [reference, ...racers] = instances(4);
    const conflictsBefore = conflicts();
    const expectedState = new Map<string, 'open' | 'resolved'>();
    const allTransitions: Transition[] = [];
    for (let r = 0; r < 8; r++) {
      const present = round(r);
      const result: EvaluationResult = evaluation({ read: ids, findings: present });
      const results = await Promise.all(racers.map((s, i) => s.applyEvaluation(result, { eventId: `round-${r}-racer-${i}` })));
      const transitions = results.flat();
      allTransitions.push(...transitions);

      // What a single, unraced instance would have done in this round.
      const presentIds = new Set(present.map((f) => f.fingerprint));
      const want: string[] = [];
      for (const f of [...ssh, ...rdp]) {
        const before = expectedState.get(f.fingerprint);
        if (presentIds.has(f.fingerprint)) {
          if (before === undefined) want.push(`opened ${f.fingerprint}`);
          else if (before === 'resolved') want.push(`reopened ${f.fingerprint}`);
          expectedState.set(f.fingerprint, 'open');
        } else if (before === 'open') {
          want.push(`resolved ${f.fingerprint}`);
          expectedState.set(f.fingerprint, 'resolved');
        }
      }
      expect(transitions.map((t) => `${t.kind} ${t.finding.fingerprint}`).sort(), `round ${r}`).toEqual(want.sort());
    }
    expect(allTransitions.length).toBeGreaterThan(40);
    expect(conflicts() - conflictsBefore).toBeGreaterThan(10);
    expect(new Set(allTransitions.map((t) => t.id)).size).toBe(allTransitions.length);

    // History holds exactly the returned transitions, and every finding ends where it should.
    const history = await reference!.listHistory();
    expect(history.map((h) => h.id).sort()).toEqual(allTransitions.map((t) => t.id).sort());
    const page = await reference!.listFindings({ limit: 1000 });
    expect(new Map(page.items.map((f) => [f.fingerprint, f.status]))).toEqual(expectedState);
  });

  it('two instances opening the same new findings at the same moment create each once', async () => {
    const conflictsBefore = conflicts();
    for (let attempt = 0; attempt < 5; attempt++) {
      const racers = instances(2);
      const result = evaluation({ read: ids, findings: ssh });
      const [a, b] = await Promise.all(racers.map((s) => s.applyEvaluation(result)));
      const opened = [...a!, ...b!].map((t) => t.finding.fingerprint).sort();
      expect(opened).toEqual(ssh.map((f) => f.fingerprint).sort());
    }
    expect(conflicts() - conflictsBefore).toBeGreaterThan(0);
  });
});

describe('a transaction whose response is lost', () => {
  it('is recognised as committed when the SDK retry finds it done: returned once, history once', async () => {
    const [store] = instances(1);
    const finding = ssh[0]!;
    transport.loseResponse('$batch');
    const conflictsBefore = conflicts();
    const transitions = await store!.applyEvaluation(evaluation({ read: [finding.resourceId], findings: [finding] }));
    expect(transitions.map((t) => t.kind)).toEqual(['opened']);
    // The SDK resent the transaction and it lost to its own first copy.
    expect(conflicts() - conflictsBefore).toBeGreaterThan(0);
    const stored = await store!.getFinding(transitions[0]!.finding.id);
    expect(stored?.history.map((h) => h.kind)).toEqual(['opened']);
  });
});
