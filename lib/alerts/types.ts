/**
 * The public vocabulary of the alerts: sinks receive alert messages (one per transition, or one
 * digest when a publish carries more transitions than the threshold) and report what happened.
 */
import type { Severity } from '../verdicts/finding.js';
import type { FindingStatus, Transition, TransitionKind } from '../store/types.js';
import type { EVENTS, METRICS } from '../config/names.js';

/** What people are told about by default: a muted finding is recorded, not announced. */
export const ALERT_KINDS: readonly TransitionKind[] = ['opened', 'reopened', 'resolved', 'suppressionExpired'];

/** The alert form of one transition: what a person or a subscriber needs, no evidence dump. */
export interface AlertSummary {
  /** The transition id: subscribers deduplicate on it (CloudEvent id). */
  transitionId: string;
  kind: TransitionKind;
  findingId: string;
  ruleId: string;
  severity: Severity;
  resourceId: string;
  resourceName: string;
  title: string;
  message: string;
  status: FindingStatus;
  at: string;
  changedBy?: string;
  eventId?: string;
  correlationId?: string;
  eventTime?: string;
  suppressionReason?: string;
  /** The finding on the dashboard, when a dashboard URL is configured. */
  link?: string;
}

/** One message instead of many when a publish carries an alert storm. */
export interface AlertDigest {
  total: number;
  at: string;
  byKind: Record<TransitionKind, number>;
  bySeverity: Record<Severity, number>;
  /** Rule id → count, most frequent first. */
  byRule: { ruleId: string; count: number }[];
  /** The most severe items, most severe first. */
  top: AlertSummary[];
  /** The dashboard, when configured. */
  link?: string;
}

export type AlertMessage =
  | { kind: 'transition'; alert: AlertSummary }
  | { kind: 'digest'; digest: AlertDigest };

export interface AlertSink {
  /** Names the sink in outcomes, logs and the failure metric. */
  name: string;
  /**
   * Which alerts this sink announces (default: {@link ALERT_KINDS}, i.e. every kind but
   * `suppressed`). Digests are counted over what a sink accepts.
   */
  accepts?(alert: AlertSummary): boolean;
  /**
   * false: record every transition even in a storm (telemetry that queries count; the alert rules
   * aggregate it). Default true: notification sinks get one digest for a storm.
   */
  digests?: boolean;
  /** Deliver the messages; throw when delivery failed (after the sink's own retries). */
  send(messages: AlertMessage[]): Promise<void>;
  /** Wait until buffered telemetry is out (Application Insights batches). */
  flush?(): Promise<void>;
}

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

export interface MetricsRecorder {
  trackMetric(name: MetricName, value: number, properties?: Record<string, string>): void;
  /** Pipeline-health events (EvaluationFailed, EventDeadLettered) the health alert rule queries. */
  trackEvent?(name: HealthEventName, properties: Record<string, string>): void;
}

export type HealthEventName = typeof EVENTS.evaluationFailed | typeof EVENTS.eventDeadLettered;

export type SinkOutcome =
  | { sink: string; status: 'sent'; messages: number; digest: boolean }
  | { sink: string; status: 'nothingToSend' }
  | { sink: string; status: 'failed'; error: string; digest: boolean };

export type AlertLogLevel = 'info' | 'warn' | 'error';

export type AlertLog = (level: AlertLogLevel, message: string, properties?: Record<string, string | number>) => void;

export interface AlerterOptions {
  sinks: AlertSink[];
  /** More alertable transitions than this in one publish → one digest per sink (default 20). */
  digestThreshold?: number;
  /** Base URL of the dashboard; alerts link to their finding there. */
  dashboardUrl?: string;
  log?: AlertLog;
  /** Where the alerter counts sink failures and the pipeline records its metrics. */
  metrics?: MetricsRecorder;
  /** Items listed in a digest (default 10). */
  digestTopItems?: number;
}

export interface EvaluationMetric {
  ok: boolean;
  durationMs: number;
  /** What was evaluated (an NSG id, a subscription): a metric dimension. */
  scope?: string;
  /** Why a failed evaluation concluded nothing. */
  reason?: string;
}

export interface Alerter {
  /** Send each transition once to every sink that accepts it; never throws for a sink's failure. */
  publish(transitions: readonly Transition[]): Promise<SinkOutcome[]>;
  /** The sinks' names: what the outbox records delivery for. */
  sinkNames(): string[];
  /** Send to one sink (what it accepts; a digest for a storm); never throws for its failure. */
  deliverTo(sink: string, transitions: readonly Transition[]): Promise<SinkOutcome>;
  /** Event-to-alert latency of transitions announced for the first time. */
  recordLatency(transitions: readonly Transition[]): void;
  /** The outbox's backlog: notifications not yet delivered to every sink, and the age of the oldest. */
  recordPendingNotifications(pending: { count: number; oldestAgeMs: number }): void;
  recordEvaluation(metric: EvaluationMetric): void;
  recordOpenFindings(counts: Record<Severity, number>): void;
  /** A queue message that failed its last attempt and stays in the poison queue. */
  recordDeadLettered(info: { scope: string; reason: string }): void;
  /** Sink failures counted since the alerter was created. */
  sinkFailures(): number;
  flush(): Promise<void>;
}
