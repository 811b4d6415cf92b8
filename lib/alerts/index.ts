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
export { createAlerter, findingLink, summarize } from './alerter.js';
export { createAppInsightsSink, type AppInsightsSink, type AppInsightsSinkOptions } from './appinsights.js';
export { createEventGridSink, type EventGridSinkOptions } from './eventgrid.js';
export { createWebhookSink, type WebhookFormat, type WebhookSinkOptions } from './webhook.js';
export { alertSinksFromEnv } from './env.js';
