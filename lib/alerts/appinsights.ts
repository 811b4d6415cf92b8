/**
 * Application Insights sink: custom events per transition (FindingOpened, FindingResolved, ...) with
 * the finding's dimensions, a FindingDigest event for storms, and the nsgwatch metrics.
 *
 * Uses the classic `TelemetryClient` API of applicationinsights v3 with its own (non-global)
 * OpenTelemetry providers: only the Azure Monitor exporters, no auto-instrumentation and no live
 * metrics, so creating a sink patches nothing in the process. Network statsbeat is governed by the
 * SDK's environment variables (APPLICATION_INSIGHTS_NO_STATSBEAT, APPLICATIONINSIGHTS_STATSBEAT_DISABLED);
 * the cloud role name by OTEL_SERVICE_NAME.
 */
import { TelemetryClient } from 'applicationinsights';
import type { TokenCredential } from '@azure/identity';
import { EVENT_PROPERTIES, EVENTS } from '../config/names.js';
import type { TransitionKind } from '../store/types.js';
import type { AlertDigest, AlertSink, AlertSummary, HealthEventName, MetricName, MetricsRecorder } from './types.js';
import { assertNever } from '../nsg/index.js';

export type AppInsightsSinkOptions = {
  /** `InstrumentationKey=...;IngestionEndpoint=...` (APPLICATIONINSIGHTS_CONNECTION_STRING). */
  connectionString: string;
  /** Entra ID auth for ingestion when local auth is off (Monitoring Metrics Publisher role on the component). */
  credential?: TokenCredential;
  /** Keep unsent telemetry on disk for a later retry (default true; tests turn it off). */
  offlineStorage?: boolean;
};

export type AppInsightsSink = AlertSink & MetricsRecorder & { flush(): Promise<void>; shutdown(): Promise<void> };

const EVENT_OF: Record<TransitionKind, string> = {
  opened: EVENTS.findingOpened,
  reopened: EVENTS.findingReopened,
  resolved: EVENTS.findingResolved,
  suppressed: EVENTS.findingSuppressed,
  suppressionExpired: EVENTS.suppressionExpired,
};

const P = EVENT_PROPERTIES;

/** Custom dimensions are strings; absent fields are left out rather than sent empty. */
export function alertDimensions(alert: AlertSummary): Record<string, string> {
  const dims: Record<string, string> = {
    [P.transitionId]: alert.transitionId,
    [P.findingId]: alert.findingId,
    [P.kind]: alert.kind,
    [P.ruleId]: alert.ruleId,
    [P.severity]: alert.severity,
    [P.status]: alert.status,
    [P.resourceId]: alert.resourceId,
    [P.resourceName]: alert.resourceName,
    [P.title]: alert.title,
    [P.message]: alert.message,
    [P.at]: alert.at,
  };
  const optional: [string, string | undefined][] = [
    [P.changedBy, alert.changedBy],
    [P.eventId, alert.eventId],
    [P.correlationId, alert.correlationId],
    [P.eventTime, alert.eventTime],
    [P.suppressionReason, alert.suppressionReason],
    [P.link, alert.link],
  ];
  for (const [key, value] of optional) if (value !== undefined) dims[key] = value;
  return dims;
}

export function digestDimensions(digest: AlertDigest): Record<string, string> {
  const dims: Record<string, string> = {
    [P.total]: String(digest.total),
    [P.at]: digest.at,
    [P.byKind]: JSON.stringify(digest.byKind),
    [P.bySeverity]: JSON.stringify(digest.bySeverity),
    [P.byRule]: JSON.stringify(digest.byRule),
    [P.top]: JSON.stringify(
      digest.top.map((a) => ({ kind: a.kind, ruleId: a.ruleId, severity: a.severity, resourceId: a.resourceId, link: a.link })),
    ),
  };
  if (digest.link) dims[P.link] = digest.link;
  return dims;
}

export function createAppInsightsSink(options: AppInsightsSinkOptions): AppInsightsSink {
  const client = new TelemetryClient(options.connectionString, { useGlobalProviders: false });
  if (options.offlineStorage === false) client.config.enableUseDiskRetryCaching = false;
  if (options.credential) client.config.aadTokenCredential = options.credential;

  return {
    name: 'applicationInsights',
    // Telemetry records every transition, muted ones included.
    accepts: () => true,
    // The workbook and the alert rules count FindingOpened/FindingResolved: a digest would hide them.
    digests: false,
    async send(messages) {
      for (const message of messages) {
        switch (message.kind) {
          case 'transition':
            client.trackEvent({ name: EVENT_OF[message.alert.kind], properties: alertDimensions(message.alert) });
            break;
          case 'digest':
            client.trackEvent({ name: EVENTS.alertDigest, properties: digestDimensions(message.digest) });
            break;
          default:
            return assertNever(message);
        }
      }
      // A Function instance may be frozen right after the invocation: get the events out now.
      await client.flush();
    },
    trackMetric(name: MetricName, value: number, properties?: Record<string, string>) {
      client.trackMetric(properties ? { name, value, properties } : { name, value });
    },
    trackEvent(name: HealthEventName, properties: Record<string, string>) {
      client.trackEvent({ name, properties });
    },
    flush: () => client.flush(),
    shutdown: () => client.shutdown(),
  };
}

