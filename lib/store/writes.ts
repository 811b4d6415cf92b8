/**
 * The store's write path: diff an evaluation against what is stored, decide each finding's
 * transition (lifecycle.ts) and commit it with its history row in one entity-group transaction,
 * ETag-guarded, re-reading and re-deciding on every lost race; suppressions re-decide what they mute.
 */
import { randomUUID } from 'node:crypto';
import { odata, type TransactionAction } from '@azure/data-tables';
import { type AdminRulesOwned, type EvaluationResult } from '../verdicts/finding.js';
import { kindOfId, normalizeId } from '../arm/index.js';
import {
  contentOf,
  findingEntity,
  historyEntity,
  judgedIn,
  stateFromEntity,
  suppressionEntity,
  suppressionFromEntity,
  transitionOf,
  SUPPRESSION_PARTITION,
} from './entity.js';
import {
  FINDING_ROW_PREFIX,
  findingRowKey,
  partitionOfKey,
  partitionOfResource,
  prefixRange,
  resourceKeyPart,
} from './keys.js';
import { decide, type Decision, type Observation } from './lifecycle.js';
import { outboxEntity } from './outbox.js';
import { isActive, validateSuppression } from './suppressions.js';
import { chunk, mapBounded, statusOf, TRANSACTION_LIMIT } from './table.js';
import { FINDING_ROWS, StoreError, describe, isConflict, type Known, type StoreTables } from './tables.js';
import type {
  EvaluationCause,
  FindingsStore,
  NewSuppression,
  ReadAhead,
  RemovalResult,
  StoredFinding,
  Suppression,
  SuppressionResult,
  Transition,
} from './types.js';
import { assertNever } from '../nsg/index.js';

/** Re-read-and-decide rounds before a finding under constant contention is reported as failed. */
const MAX_ATTEMPTS = 8;
/** Above this many resources of one partition, one partition scan beats one range query each. */
const PER_RESOURCE_QUERY_LIMIT = 16;

interface Work {
  id: string;
  known: Known;
  observation: Observation;
}

export type WritePath = Pick<FindingsStore, 'readAhead' | 'applyEvaluation' | 'addSuppression' | 'removeSuppression' | 'expireSuppressions'>;

export function createWritePath(tables: StoreTables): WritePath {
  const { findings, suppressions: suppressionTable, now, concurrency, ensureTables, guarded, queryAll, readFinding } = tables;

  /** Current finding rows of the given resources, keyed by finding id. */
  async function loadResources(resourceIds: Iterable<string>): Promise<Map<string, Known>> {
    const byPartition = new Map<string, Set<string>>();
    for (const id of resourceIds) {
      const partition = partitionOfResource(id);
      const set = byPartition.get(partition) ?? new Set<string>();
      set.add(normalizeId(id));
      byPartition.set(partition, set);
    }
    const filters: string[] = [];
    for (const [partition, resources] of byPartition) {
      if (resources.size > PER_RESOURCE_QUERY_LIMIT) {
        filters.push(
          odata`PartitionKey eq ${partition} and RowKey ge ${FINDING_ROWS.lower} and RowKey lt ${FINDING_ROWS.upper}`,
        );
        continue;
      }
      for (const resource of resources) {
        const range = prefixRange(`${FINDING_ROW_PREFIX}${resourceKeyPart(resource)}!`);
        filters.push(odata`PartitionKey eq ${partition} and RowKey ge ${range.lower} and RowKey lt ${range.upper}`);
      }
    }
    const known = new Map<string, Known>();
    const pages = await mapBounded(filters, concurrency, (filter) => queryAll(findings, filter));
    for (const rows of pages) {
      for (const row of rows) {
        const state = stateFromEntity(row);
        known.set(state.finding.id, { state, etag: row.etag });
      }
    }
    return known;
  }

  async function activeSuppressions(at: Date): Promise<Suppression[]> {
    const rows = await queryAll(suppressionTable, odata`PartitionKey eq ${SUPPRESSION_PARTITION}`);
    return rows.map(suppressionFromEntity).filter((s) => isActive(s, at));
  }

  /** A transition write in flight: how to recognise it if its response is lost. */
  interface Attempt {
    transition: Transition;
    writeNonce: string;
  }

  /** Writes one decision; returns the transition, or undefined when there was none. */
  async function write(
    decision: Decision,
    id: string,
    known: Known,
    cause: EvaluationCause,
    at: Date,
    onAttempt: (attempt: Attempt) => void,
  ): Promise<Transition | undefined> {
    const partitionKey = partitionOfKey(id);
    const rowKey = findingRowKey(id);
    const version = known.state?.version ?? 0;
    switch (decision.kind) {
      case 'unchanged':
        return undefined;
      case 'touch':
        await findings.updateEntity({ partitionKey, rowKey, lastSeen: at.toISOString() }, 'Merge', {
          etag: known.etag ?? '*',
        });
        return undefined;
      case 'refresh': {
        const row = findingEntity(decision.next, decision.contentHash, version, known.state?.writeNonce ?? '');
        await findings.updateEntity(row, 'Merge', { etag: known.etag ?? '*' });
        return undefined;
      }
      case 'transition': {
        const next = version + 1;
        const transition = transitionOf(decision.transition, decision.previous, decision.next, next, at.toISOString(), cause);
        const writeNonce = randomUUID();
        onAttempt({ transition, writeNonce });
        const row = findingEntity(decision.next, decision.contentHash, next, writeNonce);
        // The transition, its history row and its pending notification: all three or none.
        const actions: TransactionAction[] = [
          known.state && known.etag ? ['update', row, 'Merge', { etag: known.etag }] : ['create', row],
          ['create', historyEntity(transition)],
          ['create', outboxEntity(transition, at)],
        ];
        await findings.submitTransaction(actions);
        return transition;
      }
      default:
        return assertNever(decision);
    }
  }

  /** Decide and write one finding, re-reading and re-deciding on every lost race. */
  async function settle(work: Work, suppressions: readonly Suppression[], cause: EvaluationCause): Promise<Transition | undefined> {
    let known = work.known;
    for (let attempt = 1; ; attempt++) {
      const at = now();
      const decision = decide(known.state, work.observation, suppressions, at, cause);
      let inFlight: Attempt | undefined;
      try {
        return await write(decision, work.id, known, cause, at, (a) => (inFlight = a));
      } catch (error) {
        if (!isConflict(error)) throw error;
        known = await readFinding(work.id);
        // The SDK retried a transaction whose first response was lost: it landed, and it is ours.
        if (inFlight && known.state?.writeNonce === inFlight.writeNonce) return inFlight.transition;
        if (attempt >= MAX_ATTEMPTS) {
          throw new Error(`finding ${work.id}: still conflicting after ${MAX_ATTEMPTS} attempts`, { cause: error });
        }
      }
    }
  }

  /**
   * Settles every item: lastSeen-only updates go in ETag-guarded transactions of up to 100 per
   * partition; everything else (and any touch batch that lost a race) is settled one by one.
   */
  async function settleAll(items: Work[], suppressions: readonly Suppression[], cause: EvaluationCause): Promise<Transition[]> {
    const committed: Transition[] = [];
    const single: Work[] = [];
    const touches = new Map<string, Work[]>();
    const at = now();
    for (const item of items) {
      const decision = decide(item.known.state, item.observation, suppressions, at, cause);
      if (decision.kind === 'unchanged') continue;
      if (decision.kind === 'touch' && item.known.etag) {
        const partition = partitionOfKey(item.id);
        const list = touches.get(partition) ?? [];
        list.push(item);
        touches.set(partition, list);
      } else {
        single.push(item);
      }
    }
    let failure: unknown;
    const batches = [...touches.values()].flatMap((list) => chunk(list, TRANSACTION_LIMIT));
    await mapBounded(batches, concurrency, async (batch) => {
      if (failure !== undefined) return;
      const lastSeen = at.toISOString();
      try {
        await findings.submitTransaction(
          batch.map((w): TransactionAction => [
            'update',
            { partitionKey: partitionOfKey(w.id), rowKey: findingRowKey(w.id), lastSeen },
            'Merge',
            { etag: w.known.etag ?? '*' },
          ]),
        );
      } catch (error) {
        if (isConflict(error)) single.push(...batch);
        else failure ??= error;
      }
    });
    await mapBounded(single, concurrency, async (item) => {
      if (failure !== undefined) return;
      try {
        const transition = await settle(item, suppressions, cause);
        if (transition) committed.push(transition);
      } catch (error) {
        failure ??= error;
      }
    });
    if (failure !== undefined) {
      throw new StoreError(
        `findings store: write failed after ${committed.length} transition(s) were committed: ${describe(failure)}`,
        committed,
        { cause: failure },
      );
    }
    return committed.sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
  }

  /**
   * The open (or suppressed) findings on security admin rules a subscription's evaluation answers
   * for: those judged at its networks (`judgedIn`, wherever the rule's manager lives) on a rule it
   * does not hold, or holds but could not judge. A finding whose attachments were trimmed away
   * names no subscription: it is left as it is.
   */
  async function loadOwnedAdminFindings(owned: AdminRulesOwned, notJudged: ReadonlySet<string>): Promise<Map<string, Known>> {
    const subscription = owned.subscriptionId.toLowerCase();
    // One query over every partition: the rule's manager may live in any subscription. The table
    // service filters; what comes back is this subscription's open admin-rule findings only.
    const rows = await queryAll(
      findings,
      odata`RowKey ge ${FINDING_ROWS.lower} and RowKey lt ${FINDING_ROWS.upper} and judgedIn eq ${subscription} and status ne ${'resolved'}`,
    );
    const ours = ownership(owned, notJudged);
    const out = new Map<string, Known>();
    for (const row of rows) {
      const state = stateFromEntity(row);
      if (ours(state.finding)) out.set(state.finding.id, { state, etag: row.etag });
    }
    return out;
  }

  /** Whether a finding on an admin rule was judged at the evaluated subscription's networks, and its rule judged now. */
  function judgedHere(owned: AdminRulesOwned, notJudged: ReadonlySet<string>): (finding: StoredFinding) => boolean {
    const subscription = owned.subscriptionId.toLowerCase();
    return (finding) => !notJudged.has(normalizeId(finding.resourceId)) && judgedIn(finding) === subscription;
  }

  /** Whether a finding is on an admin rule the evaluation does not hold (or could not judge), judged at its subscription's networks. */
  function ownership(owned: AdminRulesOwned, notJudged: ReadonlySet<string>): (finding: StoredFinding) => boolean {
    const held = new Set(owned.held.map(normalizeId));
    const here = judgedHere(owned, notJudged);
    return (finding) => finding.status !== 'resolved' && !held.has(normalizeId(finding.resourceId)) && here(finding);
  }

  /** Reads started ahead of applyEvaluation, by the handle readAhead gave out. */
  const aheads = new WeakMap<ReadAhead, { known: Promise<Map<string, Known>>; suppressions: Promise<Suppression[]> }>();

  function readAhead(resourceIds: Iterable<string>): ReadAhead {
    const resources: ReadonlySet<string> = new Set([...resourceIds].map(normalizeId));
    const tables = ensureTables();
    const known = tables.then(() => loadResources(resources));
    const suppressions = tables.then(() => activeSuppressions(now()));
    // Whoever applies the evaluation sees a failure; until then it must not count as unhandled.
    known.catch(() => undefined);
    suppressions.catch(() => undefined);
    const handle: ReadAhead = Object.freeze({ resources });
    aheads.set(handle, { known, suppressions });
    return handle;
  }

  async function applyEvaluation(result: EvaluationResult, cause: EvaluationCause = {}, ahead?: ReadAhead): Promise<Transition[]> {
    return guarded('applying an evaluation', async () => {
      // A resource that could not be read, or was read but not fully judged (bad input), resolves nothing.
      const notJudged = new Set([...result.unreadable, ...result.errors].map((u) => normalizeId(u.resourceId)));
      const judged = new Set([...result.read, ...result.deleted].map(normalizeId).filter((id) => !notJudged.has(id)));
      const resources = new Set([...judged, ...result.findings.map((f) => normalizeId(f.resourceId))]);
      const early = ahead ? aheads.get(ahead) : undefined;
      const rest = early && ahead ? [...resources].filter((r) => !ahead.resources.has(r)) : [...resources];
      const [readEarly, readNow, suppressions] = await Promise.all([
        early?.known ?? Promise.resolve(new Map<string, Known>()),
        rest.length > 0 ? loadResources(rest) : Promise.resolve(new Map<string, Known>()),
        early?.suppressions ?? activeSuppressions(now()),
      ]);
      const known = new Map([...readEarly, ...readNow]);
      const owned = result.adminRulesOf ? await loadOwnedAdminFindings(result.adminRulesOf, notJudged) : new Map<string, Known>();
      // Rows read for the judged resources count too (rows written before `judgedIn` was kept).
      if (result.adminRulesOf) {
        const ours = ownership(result.adminRulesOf, notJudged);
        for (const [id, stored] of known) if (stored.state && ours(stored.state.finding)) owned.set(id, stored);
      }
      for (const [id, stored] of owned) if (!known.has(id)) known.set(id, stored);

      const work = new Map<string, Work>();
      for (const finding of result.findings) {
        const { content, contentHash } = contentOf(finding);
        const stored = known.get(content.id) ?? { state: undefined, etag: undefined };
        work.set(content.id, { id: content.id, known: stored, observation: { kind: 'present', content, contentHash } });
      }
      // A finding not produced again is gone when its resource was judged. On a security admin
      // rule, judged at the networks of more than one subscription, only the subscription whose
      // networks it was judged at answers for it (judgedIn): another's re-judgement leaves it.
      const adminHere = result.adminRulesOf ? judgedHere(result.adminRulesOf, notJudged) : undefined;
      const answersFor = (finding: StoredFinding): boolean => {
        const resource = normalizeId(finding.resourceId);
        return adminHere && kindOfId(resource) === 'adminRule' ? adminHere(finding) : judged.has(resource);
      };
      for (const [id, stored] of known) {
        if (!work.has(id) && stored.state && (answersFor(stored.state.finding) || owned.has(id))) work.set(id, { id, known: stored, observation: { kind: 'absent' } });
      }
      return settleAll([...work.values()], suppressions, cause);
    });
  }

  /** Re-decides stored findings against the suppressions now in force. */
  async function recheck(filter: string, cause: EvaluationCause): Promise<Transition[]> {
    const [rows, suppressions] = await Promise.all([queryAll(findings, filter), activeSuppressions(now())]);
    const work = rows.map((row): Work => {
      const state = stateFromEntity(row);
      return { id: state.finding.id, known: { state, etag: row.etag }, observation: { kind: 'recheck' } };
    });
    return settleAll(work, suppressions, cause);
  }

  const findingRowsFilter = odata`RowKey ge ${FINDING_ROWS.lower} and RowKey lt ${FINDING_ROWS.upper}`;

  async function addSuppression(input: NewSuppression, cause: EvaluationCause = {}): Promise<SuppressionResult> {
    const at = now();
    const problem = validateSuppression(input, at);
    if (problem) return { ok: false, error: problem };
    return guarded('adding a suppression', async () => {
      const suppression: Suppression = {
        id: randomUUID(),
        ruleId: input.ruleId.trim(),
        resourcePattern: input.resourcePattern.trim(),
        reason: input.reason.trim(),
        expiresAt: input.expiresAt.toISOString(),
        createdBy: input.createdBy.trim(),
        createdAt: at.toISOString(),
      };
      await suppressionTable.createEntity(suppressionEntity(suppression));
      const ruleFilter = suppression.ruleId === '*' ? '' : odata` and ruleId eq ${suppression.ruleId}`;
      const transitions = await recheck(
        `${findingRowsFilter} and ${odata`status eq ${'open'}`}${ruleFilter}`,
        { changedBy: suppression.createdBy, ...cause },
      );
      return { ok: true, suppression, transitions };
    });
  }

  async function removeSuppression(id: string, cause: EvaluationCause = {}): Promise<RemovalResult> {
    const notFound: RemovalResult = { ok: false, error: { code: 'notFound', message: `no suppression with id "${id}"` } };
    // Ids are UUIDs; anything else cannot exist (and may not even be a valid key).
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return notFound;
    return guarded('removing a suppression', async () => {
      try {
        await suppressionTable.deleteEntity(SUPPRESSION_PARTITION, id);
      } catch (error) {
        if (statusOf(error) === 404) return notFound;
        throw error;
      }
      const transitions = await recheck(
        `${findingRowsFilter} and ${odata`status eq ${'suppressed'} and suppressionId eq ${id}`}`,
        cause,
      );
      return { ok: true, transitions };
    });
  }

  async function expireSuppressions(cause: EvaluationCause = {}): Promise<Transition[]> {
    return guarded('expiring suppressions', () =>
      recheck(`${findingRowsFilter} and ${odata`status eq ${'suppressed'}`}`, cause),
    );
  }

  return { readAhead, applyEvaluation, addSuppression, removeSuppression, expireSuppressions };
}
