/**
 * The findings store on Azure Table Storage (DESIGN §6).
 *
 * One table holds current findings and their history, partitioned by subscription, so a status
 * change and its history row commit together in one entity-group transaction: a crash leaves
 * either both or neither, never a finding that changed without its history (or the reverse).
 * Every write is ETag-guarded (If-Match, or create-if-absent); on 412/409 the finding is re-read
 * and re-decided, so two instances applying the same evaluation make each transition once.
 */
import { randomUUID } from 'node:crypto';
import { odata, RestError, TableClient, type TableServiceClientOptions, type TransactionAction } from '@azure/data-tables';
import { TABLES } from '../config/names.js';
import { SEVERITIES, type EvaluationResult, type Severity } from '../verdicts/finding.js';
import { normalizeId } from '../arm/index.js';
import {
  contentOf,
  findingEntity,
  historyEntity,
  historyFromEntity,
  stateFromEntity,
  suppressionEntity,
  suppressionFromEntity,
  transitionOf,
  SUPPRESSION_PARTITION,
  type EntityResult,
} from './entity.js';
import {
  FINDING_ROW_PREFIX,
  HISTORY_ROW_PREFIX,
  findingRowKey,
  isFindingKey,
  partitionOfKey,
  partitionOfResource,
  prefixRange,
  resourceKeyPart,
} from './keys.js';
import { decide, type Decision, type Observation, type StoredState } from './lifecycle.js';
import { isActive, validateSuppression } from './suppressions.js';
import { chunk, mapBounded, statusOf, TRANSACTION_LIMIT } from './table.js';
import { createGuardMemory } from './guards.js';
import type {
  ReadAhead,
  EvaluationCause,
  FindingPage,
  FindingQuery,
  FindingsStore,
  FindingsStoreOptions,
  HistoryEntry,
  HistoryQuery,
  NewSuppression,
  RemovalResult,
  StoredFinding,
  Suppression,
  SuppressionResult,
  Transition,
} from './types.js';
import { isPlainHttpConnection } from '../azure/clients.js';

/**
 * Table Storage failed (unreachable, throttled past the retries, refused). A failed write names
 * the transitions it had already committed, so the caller can still announce them.
 */
export class StoreError extends Error {
  readonly committed: Transition[];
  constructor(message: string, committed: Transition[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.committed = committed;
  }
}

/** A query the store cannot run as given (a malformed continuation token): the caller's input, not an outage. */
export class StoreQueryError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'StoreQueryError';
    this.field = field;
  }
}

/** The SDK's continuation token: base64 of `{"nextPartitionKey":...,"nextRowKey":...}`. */
function isContinuationToken(token: string): boolean {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('latin1'));
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as Record<string, unknown>)['nextPartitionKey'] === 'string';
  } catch {
    return false;
  }
}

/** Re-read-and-decide rounds before a finding under constant contention is reported as failed. */
const MAX_ATTEMPTS = 8;
/** Entity-group transactions hold at most 100 operations. */
/** Above this many resources of one partition, one partition scan beats one range query each. */
const PER_RESOURCE_QUERY_LIMIT = 16;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

const FINDING_ROWS = prefixRange(FINDING_ROW_PREFIX);
const HISTORY_ROWS = prefixRange(HISTORY_ROW_PREFIX);

interface Known {
  state: StoredState | undefined;
  etag: string | undefined;
}

interface Work {
  id: string;
  known: Known;
  observation: Observation;
}

export function createFindingsStore(options: FindingsStoreOptions): FindingsStore {
  const now = options.now ?? (() => new Date());
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const findings = tableClient(options, options.tables?.findings ?? TABLES.findings);
  const suppressionTable = tableClient(options, options.tables?.suppressions ?? TABLES.suppressions);
  const guards = createGuardMemory(findings, now, concurrency);

  let ready: Promise<void> | undefined;
  function ensureTables(): Promise<void> {
    ready ??= Promise.all([findings.createTable(), suppressionTable.createTable()]).then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    );
    return ready;
  }

  async function readFinding(id: string): Promise<Known> {
    try {
      const entity = await findings.getEntity<Record<string, unknown>>(partitionOfKey(id), findingRowKey(id));
      return { state: stateFromEntity(entity), etag: entity.etag };
    } catch (error) {
      if (statusOf(error) === 404) return { state: undefined, etag: undefined };
      throw error;
    }
  }

  async function queryAll(table: TableClient, filter: string, select?: string[]): Promise<EntityResult[]> {
    const rows: EntityResult[] = [];
    const queryOptions = select ? { filter, select } : { filter };
    for await (const entity of table.listEntities<Record<string, unknown>>({ queryOptions })) rows.push(entity);
    return rows;
  }

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
        const actions: TransactionAction[] = [
          known.state && known.etag ? ['update', row, 'Merge', { etag: known.etag }] : ['create', row],
          ['create', historyEntity(transition)],
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

  async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      await ensureTables();
      return await run();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`findings store: ${what} failed: ${describe(error)}`, [], { cause: error });
    }
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

      const work = new Map<string, Work>();
      for (const finding of result.findings) {
        const { content, contentHash } = contentOf(finding);
        const stored = known.get(content.id) ?? { state: undefined, etag: undefined };
        work.set(content.id, { id: content.id, known: stored, observation: { kind: 'present', content, contentHash } });
      }
      for (const [id, stored] of known) {
        const resource = normalizeId(stored.state?.finding.resourceId ?? '');
        if (!work.has(id) && judged.has(resource)) work.set(id, { id, known: stored, observation: { kind: 'absent' } });
      }
      return settleAll([...work.values()], suppressions, cause);
    });
  }

  async function listFindings(query: FindingQuery = {}): Promise<FindingPage> {
    if (query.continuationToken !== undefined && !isContinuationToken(query.continuationToken)) {
      throw new StoreQueryError('continuationToken', 'the continuation token is not one this store issued');
    }
    const requested = query.limit !== undefined && Number.isFinite(query.limit) ? Math.trunc(query.limit) : DEFAULT_PAGE;
    const limit = Math.min(Math.max(requested, 1), MAX_PAGE);
    return guarded('listing findings', async () => {
      const conditions: string[] = [];
      let rows = FINDING_ROWS;
      let partition: string | undefined;
      if (query.subscription !== undefined) partition = query.subscription.trim().toLowerCase();
      if (query.resource !== undefined) {
        const resourcePartition = partitionOfResource(query.resource);
        if (partition !== undefined && partition !== resourcePartition) return { items: [] };
        partition = resourcePartition;
        rows = prefixRange(`${FINDING_ROW_PREFIX}${resourceKeyPart(query.resource)}!`);
      }
      if (partition !== undefined) conditions.push(odata`PartitionKey eq ${partition}`);
      conditions.push(odata`RowKey ge ${rows.lower} and RowKey lt ${rows.upper}`);
      if (query.status !== undefined) conditions.push(odata`status eq ${query.status}`);
      if (query.severity !== undefined) conditions.push(odata`severity eq ${query.severity}`);
      if (query.ruleId !== undefined) conditions.push(odata`ruleId eq ${query.ruleId}`);
      const filter = conditions.join(' and ');

      const items: StoredFinding[] = [];
      let token = query.continuationToken;
      while (items.length < limit) {
        const pages = findings
          .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
          .byPage({ maxPageSize: limit - items.length, ...(token ? { continuationToken: token } : {}) });
        const next = await pages.next();
        if (next.done) {
          token = undefined;
          break;
        }
        for (const row of next.value) items.push(stateFromEntity(row).finding);
        token = next.value.continuationToken;
        if (!token) break;
      }
      return token ? { items, continuationToken: token } : { items };
    });
  }

  async function historyOf(id: string): Promise<HistoryEntry[]> {
    const range = prefixRange(`${HISTORY_ROW_PREFIX}${id}!`);
    const rows = await queryAll(
      findings,
      odata`PartitionKey eq ${partitionOfKey(id)} and RowKey ge ${range.lower} and RowKey lt ${range.upper}`,
    );
    return rows.map(historyFromEntity).sort(byTime);
  }

  async function getFinding(id: string): Promise<{ finding: StoredFinding; history: HistoryEntry[] } | undefined> {
    if (!isFindingKey(id)) return undefined;
    return guarded('reading a finding', async () => {
      const [known, history] = await Promise.all([readFinding(id), historyOf(id)]);
      return known.state ? { finding: known.state.finding, history } : undefined;
    });
  }

  async function listHistory(query: HistoryQuery = {}): Promise<HistoryEntry[]> {
    return guarded('listing history', async () => {
      const conditions = [odata`RowKey ge ${HISTORY_ROWS.lower} and RowKey lt ${HISTORY_ROWS.upper}`];
      if (query.since) conditions.push(odata`at ge ${query.since.toISOString()}`);
      if (query.until) conditions.push(odata`at lt ${query.until.toISOString()}`);
      if (query.kinds && query.kinds.length > 0) {
        conditions.push(`(${query.kinds.map((k) => odata`transition eq ${k}`).join(' or ')})`);
      }
      const rows = await queryAll(findings, conditions.join(' and '));
      return rows.map(historyFromEntity).sort(byTime);
    });
  }

  async function countOpenFindings(): Promise<Record<Severity, number>> {
    return guarded('counting findings', async () => {
      const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
      const rows = await queryAll(
        findings,
        odata`RowKey ge ${FINDING_ROWS.lower} and RowKey lt ${FINDING_ROWS.upper} and status eq ${'open'}`,
        ['severity'],
      );
      for (const row of rows) {
        const severity = row['severity'];
        if (typeof severity === 'string' && severity in counts) counts[severity as Severity] += 1;
      }
      return counts;
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

  async function listSuppressions(): Promise<(Suppression & { active: boolean })[]> {
    return guarded('listing suppressions', async () => {
      const at = now();
      const rows = await queryAll(suppressionTable, odata`PartitionKey eq ${SUPPRESSION_PARTITION}`);
      return rows
        .map(suppressionFromEntity)
        .map((s) => ({ ...s, active: isActive(s, at) }))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
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

  return {
    ensureTables: () => guarded('creating tables', ensureTables),
    readAhead,
    applyEvaluation,
    listFindings,
    getFinding,
    listHistory,
    countOpenFindings,
    addSuppression,
    listSuppressions,
    removeSuppression,
    expireSuppressions,
    recallGuards: (query) => guarded('recalling what guarded subnets and NICs', () => guards.recall(query)),
    rememberGuards: (subscriptionId, entries, rememberOptions) =>
      guarded('recording what guards subnets and NICs', () => guards.remember(subscriptionId, entries, rememberOptions)),
  };
}

function tableClient(options: FindingsStoreOptions, table: string): TableClient {
  const clientOptions: TableServiceClientOptions = {};
  if (options.retry) clientOptions.retryOptions = options.retry;
  if (options.httpClient) clientOptions.httpClient = options.httpClient;
  const connection = options.connection;
  switch (connection.kind) {
    case 'connectionString': {
      // Azurite and the emulator speak plain http on loopback only.
      if (isPlainHttpConnection(connection.connectionString)) {
        clientOptions.allowInsecureConnection = true;
      }
      return TableClient.fromConnectionString(connection.connectionString, table, clientOptions);
    }
    case 'identity': {
      const endpoint = connection.endpoint ?? `https://${connection.accountName}.table.core.windows.net`;
      return new TableClient(endpoint, table, connection.credential, clientOptions);
    }
    default:
      return assertNever(connection);
  }
}

/** Lost a race: someone else changed (412), created (409) or removed (404) the row first. */
function isConflict(error: unknown): boolean {
  const status = statusOf(error);
  return status === 412 || status === 409 || status === 404;
}

function describe(error: unknown): string {
  if (error instanceof RestError) return `${error.statusCode ?? error.code ?? 'no response'}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function byTime(a: HistoryEntry, b: HistoryEntry): number {
  return a.at.localeCompare(b.at) || a.id.localeCompare(b.id);
}

function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
