/**
 * The findings store (Azure Table Storage): current findings, their history, suppressions.
 * DESIGN §6. Everything the pipeline, the HTTP API and the dashboard need is exported here.
 */
export type {
  DailyTrend,
  EvaluationCause,
  EvidenceTrimming,
  FindingPage,
  FindingQuery,
  FindingStatus,
  FindingsStore,
  FindingsStoreOptions,
  GuardQuery,
  GuardRecall,
  GuardRecord,
  HistoryEntry,
  HistoryQuery,
  InputProblem,
  NewSuppression,
  OutboxQuery,
  OutboxSettlement,
  PendingNotification,
  ReadAhead,
  RemovalResult,
  StoreConnection,
  StoreHttpClient,
  StoreTableNames,
  StoredFinding,
  Suppression,
  SuppressionRef,
  SuppressionResult,
  Transition,
  TransitionKind,
} from './types.js';
export { FINDING_STATUSES, TRANSITION_KINDS } from './types.js';
export { createFindingsStore, StoreError, StoreQueryError } from './store.js';
export { storeOptionsFromEnv } from './env.js';
export { dailyTrend } from './trend.js';
export { findingKey, encodeKeyPart } from './keys.js';
