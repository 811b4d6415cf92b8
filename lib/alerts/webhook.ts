import type { Severity } from '../rules/finding.js';
import type { AlertSink } from './types.js';

export type WebhookFormat = 'generic' | 'teams' | 'slack';

export interface WebhookSinkOptions {
  url: string;
  format?: WebhookFormat;
  /** Transitions below this severity are not sent (default: low). */
  minSeverity?: Severity;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Attempts after the first on 429, 5xx, timeouts and network errors (default 3). */
  retries?: number;
  /** First backoff delay, doubled per retry (default 500 ms). */
  backoffMs?: number;
}

export function createWebhookSink(options: WebhookSinkOptions): AlertSink {
  void options;
  throw new Error('createWebhookSink: not implemented yet');
}
