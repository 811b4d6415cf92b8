/**
 * Fans transitions out to the sinks. Each sink is independent: one that fails (or hangs until its
 * own timeout) never stops the others, and its failure is logged and counted. More alertable
 * transitions than the digest threshold become one digest message per sink.
 */
import { EVENT_PROPERTIES as P, EVENTS, METRICS } from '../config/names.js';
import { SEVERITIES, severityRank, type Severity } from '../verdicts/finding.js';
import { TRANSITION_KINDS, type Transition, type TransitionKind } from '../store/types.js';
import {
  ALERT_KINDS,
  type Alerter,
  type AlerterOptions,
  type AlertDigest,
  type AlertMessage,
  type AlertSink,
  type AlertSummary,
  type SinkOutcome,
} from './types.js';
import { errorMessage } from '../nsg/index.js';

export const DEFAULT_DIGEST_THRESHOLD = 20;
const DEFAULT_DIGEST_TOP = 10;

/** The dashboard page of one finding. */
export function findingLink(dashboardUrl: string, findingId: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/?finding=${encodeURIComponent(findingId)}`;
}

/** The alert form of a transition: the finding's headline fields, no evidence. */
export function summarize(transition: Transition, dashboardUrl?: string): AlertSummary {
  const f = transition.finding;
  const summary: AlertSummary = {
    transitionId: transition.id,
    kind: transition.kind,
    findingId: f.id,
    ruleId: f.ruleId,
    severity: f.severity,
    resourceId: f.resourceId,
    resourceName: f.resourceName,
    title: f.title,
    message: f.message,
    status: f.status,
    at: transition.at,
  };
  if (transition.changedBy) summary.changedBy = transition.changedBy;
  if (transition.eventId) summary.eventId = transition.eventId;
  if (transition.correlationId) summary.correlationId = transition.correlationId;
  if (transition.eventTime) summary.eventTime = transition.eventTime;
  if (f.suppression) summary.suppressionReason = f.suppression.reason;
  if (dashboardUrl) summary.link = findingLink(dashboardUrl, f.id);
  return summary;
}

function defaultAccepts(alert: AlertSummary): boolean {
  return ALERT_KINDS.includes(alert.kind);
}

/** Most severe first, then in the order the lifecycle reads (opened before resolved), then by time. */
function bySeverity(a: AlertSummary, b: AlertSummary): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    TRANSITION_KINDS.indexOf(a.kind) - TRANSITION_KINDS.indexOf(b.kind) ||
    a.at.localeCompare(b.at) ||
    a.transitionId.localeCompare(b.transitionId)
  );
}

export function buildDigest(alerts: readonly AlertSummary[], top: number, at: string, dashboardUrl?: string): AlertDigest {
  const byKind = Object.fromEntries(TRANSITION_KINDS.map((k) => [k, 0])) as Record<TransitionKind, number>;
  const bySeverityCount = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byRule = new Map<string, number>();
  for (const a of alerts) {
    byKind[a.kind] += 1;
    bySeverityCount[a.severity] += 1;
    byRule.set(a.ruleId, (byRule.get(a.ruleId) ?? 0) + 1);
  }
  const digest: AlertDigest = {
    total: alerts.length,
    at,
    byKind,
    bySeverity: bySeverityCount,
    byRule: [...byRule.entries()]
      .map(([ruleId, count]) => ({ ruleId, count }))
      .sort((a, b) => b.count - a.count || a.ruleId.localeCompare(b.ruleId)),
    top: [...alerts].sort(bySeverity).slice(0, top),
  };
  if (dashboardUrl) digest.link = dashboardUrl;
  return digest;
}

/** A digest is dated by its latest transition, so resending the same digest makes the same message. */
function latestOf(alerts: readonly AlertSummary[]): string {
  return alerts.reduce((latest, a) => (a.at > latest ? a.at : latest), '');
}

function describe(error: unknown): string {
  return errorMessage(error);
}

export function createAlerter(options: AlerterOptions): Alerter {
  const threshold = Math.max(1, options.digestThreshold ?? DEFAULT_DIGEST_THRESHOLD);
  const top = Math.max(1, options.digestTopItems ?? DEFAULT_DIGEST_TOP);
  const log = options.log ?? (() => undefined);
  const metrics = options.metrics;
  let failures = 0;

  function recordLatency(summaries: readonly AlertSummary[]): void {
    if (!metrics) return;
    for (const s of summaries) {
      if (!s.eventTime) continue;
      const latency = Date.parse(s.at) - Date.parse(s.eventTime);
      if (Number.isFinite(latency) && latency >= 0) {
        metrics.trackMetric(METRICS.eventToFindingLatencyMs, latency, { [P.ruleId]: s.ruleId, [P.kind]: s.kind });
      }
    }
  }

  async function deliver(sink: AlertSink, summaries: readonly AlertSummary[]): Promise<SinkOutcome> {
    const mine = summaries.filter((s) => (sink.accepts ? sink.accepts(s) : defaultAccepts(s)));
    if (mine.length === 0) return { sink: sink.name, status: 'nothingToSend' };
    const digest = sink.digests !== false && mine.length > threshold;
    const messages: AlertMessage[] = digest
      ? [{ kind: 'digest', digest: buildDigest(mine, top, latestOf(mine), options.dashboardUrl) }]
      : mine.map((alert) => ({ kind: 'transition', alert }));
    try {
      await sink.send(messages);
      return { sink: sink.name, status: 'sent', messages: messages.length, digest };
    } catch (error) {
      failures += 1;
      const reason = describe(error);
      log('error', `alert sink ${sink.name} failed`, { sink: sink.name, error: reason, alerts: mine.length });
      try {
        metrics?.trackMetric(METRICS.alertSinkFailures, 1, { [P.sink]: sink.name });
      } catch (metricError) {
        log('warn', 'could not record the alert sink failure metric', { error: describe(metricError) });
      }
      return { sink: sink.name, status: 'failed', error: reason, digest };
    }
  }

  return {
    async publish(transitions) {
      if (transitions.length === 0) return options.sinks.map((s) => ({ sink: s.name, status: 'nothingToSend' }));
      const summaries = transitions.map((t) => summarize(t, options.dashboardUrl));
      recordLatency(summaries);
      // allSettled would hide nothing here: deliver() never rejects.
      return Promise.all(options.sinks.map((sink) => deliver(sink, summaries)));
    },
    sinkNames: () => options.sinks.map((s) => s.name),
    async deliverTo(name, transitions) {
      const sink = options.sinks.find((s) => s.name === name);
      if (!sink) return { sink: name, status: 'failed', error: `no sink named ${name}`, digest: false };
      if (transitions.length === 0) return { sink: name, status: 'nothingToSend' };
      return deliver(sink, transitions.map((t) => summarize(t, options.dashboardUrl)));
    },
    recordLatency(transitions) {
      recordLatency(transitions.map((t) => summarize(t, options.dashboardUrl)));
    },
    recordPendingNotifications(pending) {
      if (!metrics) return;
      metrics.trackMetric(METRICS.pendingNotifications, pending.count);
      metrics.trackMetric(METRICS.oldestPendingNotificationAgeMs, pending.oldestAgeMs);
    },
    recordEvaluation(metric) {
      if (!metrics) return;
      const dims: Record<string, string> = { [P.outcome]: metric.ok ? 'ok' : 'failed' };
      if (metric.scope) dims[P.scope] = metric.scope;
      // One sample per evaluation, valued by its duration: the count is the evaluations, the mean their time.
      metrics.trackMetric(METRICS.evaluations, Math.max(0, metric.durationMs), dims);
      if (!metric.ok) {
        metrics.trackMetric(METRICS.evaluationFailures, 1, dims);
        metrics.trackEvent?.(EVENTS.evaluationFailed, { [P.scope]: metric.scope ?? '', [P.reason]: metric.reason ?? '' });
      }
    },
    recordOpenFindings(counts) {
      if (!metrics) return;
      for (const severity of SEVERITIES) metrics.trackMetric(METRICS.openFindings, counts[severity], { [P.severity]: severity });
    },
    recordDeadLettered(info) {
      metrics?.trackEvent?.(EVENTS.eventDeadLettered, { [P.scope]: info.scope, [P.reason]: info.reason });
    },
    sinkFailures: () => failures,
    async flush() {
      await Promise.all(
        options.sinks.map(async (sink) => {
          try {
            await sink.flush?.();
          } catch (error) {
            log('warn', `alert sink ${sink.name} did not flush`, { sink: sink.name, error: describe(error) });
          }
        }),
      );
    },
  };
}
