import type { TokenCredential } from '@azure/identity';
import { SETTINGS } from '../config/names.js';
import { isSeverity } from '../verdicts/finding.js';
import { createAppInsightsSink, type AppInsightsSink } from './appinsights.js';
import { createEventGridSink } from './eventgrid.js';
import type { AlerterOptions, AlertSink } from './types.js';
import { createWebhookSink, WEBHOOK_FORMATS, type WebhookFormat } from './webhook.js';

export interface AlerterSetup {
  options: AlerterOptions;
  /** The Application Insights sink, when configured: also the metrics recorder; shut it down on exit. */
  appInsights?: AppInsightsSink;
  /** Settings that were present but wrong: each names the setting; the rest is still configured. */
  errors: string[];
}

/**
 * Builds the alerter's sinks and options from the app settings: Application Insights
 * (APPLICATIONINSIGHTS_CONNECTION_STRING), the Event Grid topic (identity auth), the webhook.
 */
export function alerterOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  credential: TokenCredential,
): AlerterSetup {
  const sinks: AlertSink[] = [];
  const errors: string[] = [];
  const setting = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };

  let appInsights: AppInsightsSink | undefined;
  const aiConnection = setting(SETTINGS.appInsightsConnectionString);
  if (aiConnection) {
    // The deployment turns local auth off: ingestion then needs the managed identity's token.
    const entraId = /(^|;)\s*Authorization\s*=\s*AAD\s*(;|$)/i.test(setting(SETTINGS.appInsightsAuthenticationString) ?? '');
    try {
      appInsights = createAppInsightsSink(entraId ? { connectionString: aiConnection, credential } : { connectionString: aiConnection });
      sinks.push(appInsights);
    } catch (error) {
      errors.push(`${SETTINGS.appInsightsConnectionString}: ${(error as Error).message}`);
    }
  }

  const topic = setting(SETTINGS.alertsTopicEndpoint);
  if (topic) {
    if (/^https:\/\//i.test(topic)) sinks.push(createEventGridSink({ endpoint: topic, credential }));
    else errors.push(`${SETTINGS.alertsTopicEndpoint} must be an https URL`);
  }

  const webhook = setting(SETTINGS.alertsWebhookUrl);
  if (webhook) {
    const format = setting(SETTINGS.alertsWebhookFormat) ?? 'generic';
    const minSeverity = setting(SETTINGS.alertsWebhookMinSeverity)?.toLowerCase() ?? 'low';
    if (!(WEBHOOK_FORMATS as readonly string[]).includes(format)) {
      errors.push(`${SETTINGS.alertsWebhookFormat} must be one of ${WEBHOOK_FORMATS.join(', ')}, not "${format}"`);
    } else if (!isSeverity(minSeverity)) {
      errors.push(`${SETTINGS.alertsWebhookMinSeverity} is not a severity: "${minSeverity}"`);
    } else if (!/^https?:\/\//i.test(webhook) || !URL.canParse(webhook)) {
      errors.push(`${SETTINGS.alertsWebhookUrl} is not an http(s) URL`);
    } else {
      sinks.push(createWebhookSink({ url: webhook, format: format as WebhookFormat, minSeverity }));
    }
  }

  const options: AlerterOptions = { sinks };
  const threshold = setting(SETTINGS.alertsDigestThreshold);
  if (threshold !== undefined) {
    const n = Number(threshold);
    if (Number.isInteger(n) && n >= 1) options.digestThreshold = n;
    else errors.push(`${SETTINGS.alertsDigestThreshold} must be a whole number ≥ 1, not "${threshold}"`);
  }
  const dashboard = setting(SETTINGS.dashboardUrl);
  if (dashboard) {
    if (URL.canParse(dashboard)) options.dashboardUrl = dashboard;
    else errors.push(`${SETTINGS.dashboardUrl} is not a URL`);
  }
  if (appInsights) options.metrics = appInsights;
  return appInsights ? { options, appInsights, errors } : { options, errors };
}
