/**
 * The public vocabulary of the findings store: what the evaluation pipeline writes, what the HTTP
 * API and the dashboard read, and what the alerts announce. Plain data; times are ISO 8601 UTC.
 */
import type { TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { EvaluationResult, Finding, Severity } from '../verdicts/finding.js';

export type FindingStatus = 'open' | 'resolved' | 'suppressed';

export const FINDING_STATUSES: readonly FindingStatus[] = ['open', 'resolved', 'suppressed'];

/** Every change of a finding's status is one of these, recorded once in its history. */
export type TransitionKind = 'opened' | 'reopened' | 'resolved' | 'suppressed' | 'suppressionExpired';

export const TRANSITION_KINDS: readonly TransitionKind[] = [
  'opened',
  'reopened',
  'resolved',
  'suppressed',
  'suppressionExpired',
];

/** The suppression a finding is muted by, copied onto the finding when it was suppressed. */
export interface SuppressionRef {
  id: string;
  reason: string;
  expiresAt: string;
  by: string;
}

/** What the store marks when it had to shorten evidence to fit Table Storage's limits. */
export interface EvidenceTrimming {
  /** Top-level evidence keys left out entirely. */
  droppedKeys: string[];
  /** Array items left out of the keys that were kept in part. */
  droppedItems: number;
  /** Length of the evidence JSON before trimming, in characters. */
  originalLength: number;
}

/** A finding as the store keeps it: the rule's finding (resourceId as last seen) plus its lifecycle. */
export interface StoredFinding extends Finding {
  /** Key-safe, URL-safe identity of the finding (resource, rule, scope); stable across runs. */
  id: string;
  status: FindingStatus;
  firstSeen: string;
  /** The last evaluation that saw it, to within LAST_SEEN_RESOLUTION_MS (five minutes). */
  lastSeen: string;
  resolvedAt?: string;
  /** Who made the change behind the latest transition (name/upn from the event's claims), when known. */
  changedBy?: string;
  suppression?: SuppressionRef;
  /** Present when the evidence was shortened to fit; the witness and decidedBy are always kept. */
  evidenceTrimmed?: EvidenceTrimming;
}

/** Why an evaluation ran: carried into history and alerts. */
export interface EvaluationCause {
  /** Event Grid event id (or the queue message id of a sweep). */
  eventId?: string;
  correlationId?: string;
  /** name/upn of the principal that made the change; never a token. */
  changedBy?: string;
  /** The ARM operation, e.g. Microsoft.Network/networkSecurityGroups/write. */
  operation?: string;
  /** When the change happened (the event's time): the start of the event-to-finding latency. */
  eventTime?: Date;
}

export interface Transition {
  /** `<finding id>!<version>`: unique per finding transition; the history row's id, and the id alerts carry. */
  id: string;
  kind: TransitionKind;
  /** Status before the transition; absent for a finding seen for the first time. */
  previousStatus?: FindingStatus;
  /** The finding as written by this transition. */
  finding: StoredFinding;
  /** When the store made the transition (its clock). */
  at: string;
  eventId?: string;
  correlationId?: string;
  changedBy?: string;
  operation?: string;
  eventTime?: string;
}

/** One history row: a transition without the full finding (summary fields only). */
export interface HistoryEntry {
  id: string;
  findingId: string;
  kind: TransitionKind;
  previousStatus?: FindingStatus;
  status: FindingStatus;
  at: string;
  ruleId: string;
  severity: Severity;
  resourceId: string;
  eventId?: string;
  correlationId?: string;
  changedBy?: string;
  operation?: string;
  eventTime?: string;
  suppressionId?: string;
}

export interface Suppression {
  id: string;
  /** A rule id, or `*` for every rule. */
  ruleId: string;
  /** Resource id pattern, case-insensitive: `*` any run of characters (slashes included), `?` one. */
  resourcePattern: string;
  reason: string;
  expiresAt: string;
  createdBy: string;
  createdAt: string;
}

export interface NewSuppression {
  ruleId: string;
  resourcePattern: string;
  reason: string;
  expiresAt: Date;
  createdBy: string;
}

export interface FindingQuery {
  status?: FindingStatus;
  severity?: Severity;
  ruleId?: string;
  /** An ARM resource id (any casing): findings reported on exactly this resource. */
  resource?: string;
  subscription?: string;
  /** Page size, 1..1000 (default 100). */
  limit?: number;
  continuationToken?: string;
}

export interface FindingPage {
  items: StoredFinding[];
  continuationToken?: string;
}

export interface HistoryQuery {
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  kinds?: TransitionKind[];
}

/** Opened / resolved / ... per UTC day, for the dashboard trend. */
export interface DailyTrend {
  day: string;
  counts: Record<TransitionKind, number>;
}

export type InputProblem = { code: 'invalid'; field: string; message: string };

export type SuppressionResult =
  | { ok: true; suppression: Suppression; transitions: Transition[] }
  | { ok: false; error: InputProblem };

export type RemovalResult =
  | { ok: true; transitions: Transition[] }
  | { ok: false; error: { code: 'notFound'; message: string } };

/** The SDK transport: `{ sendRequest }`. */
export type StoreHttpClient = NonNullable<TableServiceClientOptions['httpClient']>;

/** How the store reaches Table Storage. */
export type StoreConnection =
  /** Azurite / `UseDevelopmentStorage=true` / a key or SAS connection string (local only). */
  | { kind: 'connectionString'; connectionString: string }
  /** Identity-based (`AzureWebJobsStorage__accountName` style): no keys. */
  | { kind: 'identity'; accountName: string; credential: TokenCredential; endpoint?: string };

export interface StoreTableNames {
  findings: string;
  suppressions: string;
}

export interface FindingsStoreOptions {
  connection: StoreConnection;
  /** Injected clock; `() => new Date()` by default. */
  now?: () => Date;
  /** Override the table names (tests isolate themselves this way). */
  tables?: Partial<StoreTableNames>;
  /** SDK retry settings; keep them short in tests so an outage fails fast. */
  retry?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  /** The SDK's transport (tests may wrap the real one to cut the connection at a chosen request). */
  httpClient?: StoreHttpClient;
  /** Writes run with this much parallelism (default 8). */
  concurrency?: number;
}

/** A read of stored state started ahead of applyEvaluation (opaque). */
export interface ReadAhead {
  readonly resources: ReadonlySet<string>;
}

/** Which subnets and NICs to recall the NSG of: by id, and/or every subnet of a virtual network. */
export interface GuardQuery {
  subscriptionId: string;
  resources?: readonly string[];
  underVirtualNetwork?: string;
}

/** What a subnet or NIC was judged with. */
export interface GuardRecord {
  /** The NSG key on the resource itself, '' for none. */
  nsg: string;
  /** A NIC's ASG memberships with their addresses (lib/pipeline/affected.ts membershipSignature), '' for none. */
  asgs: string;
}

/** What the last evaluations saw guarding subnets and NICs (lib/store/guards.ts). */
export interface GuardRecall {
  /** Resource key → what it was judged with. */
  records: ReadonlyMap<string, GuardRecord>;
  /** A sweep recorded every subnet and NIC of the subscription: a resource without a row is new since. */
  complete: boolean;
}

/** A transition whose notification some sink has not had yet (the outbox, DESIGN §7). */
export interface PendingNotification {
  partitionKey: string;
  rowKey: string;
  /** Guards the row: a dispatcher changes it only if nobody did since it read it. */
  etag: string;
  /** The transition; its finding's evidence is left out (alerts never carry it). */
  transition: Transition;
  /** Sinks that have it already. */
  delivered: string[];
  attempts: number;
  /** Not before this time (a claim or a backoff moves it). */
  dueAt: string;
  createdAt: string;
  lastError?: string;
}

export interface OutboxQuery {
  /** Rows due at or before this time. */
  dueBy: Date;
  limit?: number;
}

export type OutboxSettlement =
  | { done: true }
  | { done: false; delivered: string[]; retryAt: Date; error?: string };

export interface FindingsStore {
  /** Create the tables if they do not exist (also done lazily by every call). */
  ensureTables(): Promise<void>;
  /**
   * Diff one evaluation against the stored state of what it read (`read` and `deleted`, less any
   * resource in `unreadable` or `errors`), write the changes and return
   * each transition once (even when two instances apply the same evaluation at once). Throws
   * {@link StoreError} when Table Storage fails; it carries the transitions already committed.
   */
  applyEvaluation(result: EvaluationResult, cause?: EvaluationCause, ahead?: ReadAhead): Promise<Transition[]>;
  /**
   * Starts reading the stored state of these resources (and the suppressions) now, for the
   * applyEvaluation that gets the handle: storage works while the rules run. Failures surface there.
   */
  readAhead(resourceIds: Iterable<string>): ReadAhead;
  /** Throws {@link StoreQueryError} for a continuation token it did not issue. */
  listFindings(query?: FindingQuery): Promise<FindingPage>;
  getFinding(id: string): Promise<{ finding: StoredFinding; history: HistoryEntry[] } | undefined>;
  /** History rows in time order (for the dashboard trend: see {@link dailyTrend}). */
  listHistory(query?: HistoryQuery): Promise<HistoryEntry[]>;
  /** Open (unsuppressed) findings by severity, for the metric. */
  countOpenFindings(): Promise<Record<Severity, number>>;
  /** Adds a suppression and mutes the matching open findings at once. */
  addSuppression(input: NewSuppression, cause?: EvaluationCause): Promise<SuppressionResult>;
  listSuppressions(): Promise<(Suppression & { active: boolean })[]>;
  /** Removes a suppression; the findings it muted reopen (`suppressionExpired`). */
  removeSuppression(id: string, cause?: EvaluationCause): Promise<RemovalResult>;
  /** Reopens suppressed findings whose suppression has expired (a timer calls this). */
  expireSuppressions(cause?: EvaluationCause): Promise<Transition[]>;
  /** Notifications due for delivery, oldest first. */
  dueNotifications(query: OutboxQuery): Promise<PendingNotification[]>;
  /** Claims rows until `until` (ETag-guarded): returns those this caller won. */
  claimNotifications(items: readonly PendingNotification[], until: Date): Promise<PendingNotification[]>;
  /** Done: the row goes; otherwise what was delivered and when to try again. False when another dispatcher took it over. */
  settleNotification(item: PendingNotification, settlement: OutboxSettlement): Promise<boolean>;
  /** How many notifications wait, and since when (for the health metric). */
  pendingNotifications(): Promise<{ count: number; oldest?: string }>;
  /** The NSG each subnet or NIC was last judged with. */
  recallGuards(query: GuardQuery): Promise<GuardRecall>;
  /**
   * Records what each subnet or NIC is judged with now; `undefined` forgets a resource that is
   * gone. A sweep passes every subnet and NIC and marks the record complete.
   */
  rememberGuards(subscriptionId: string, guards: ReadonlyMap<string, GuardRecord | undefined>, options?: { sweep?: boolean }): Promise<void>;
}
