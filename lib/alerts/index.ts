/**
 * Alerts on finding transitions (DESIGN §7): Application Insights, CloudEvents on an Event Grid
 * custom topic, an optional webhook. A failing sink never blocks the others.
 */
export type {
  Alerter,
  AlerterOptions,
  AlertDigest,
  AlertLog,
  AlertLogLevel,
  AlertMessage,
  AlertSink,
  AlertSummary,
  EvaluationMetric,
  MetricName,
  MetricsRecorder,
  SinkOutcome,
} from './types.js';
export { ALERT_KINDS } from './types.js';
export { buildDigest, createAlerter, DEFAULT_DIGEST_THRESHOLD, findingLink, summarize } from './alerter.js';
export { createAppInsightsSink, type AppInsightsSink, type AppInsightsSinkOptions } from './appinsights.js';
export { CLOUD_EVENT_TYPE_OF, cloudEventOf, createEventGridSink, type EventGridSinkOptions } from './eventgrid.js';
export {
  createWebhookSink,
  genericPayload,
  slackPayload,
  teamsPayload,
  WEBHOOK_FORMATS,
  type WebhookFormat,
  type WebhookSinkOptions,
} from './webhook.js';
export { alerterOptionsFromEnv, type AlerterSetup } from './env.js';
