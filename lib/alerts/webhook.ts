/**
 * Optional webhook: generic JSON, a Teams workflow (Adaptive Card message) or Slack (Block Kit).
 * Bounded retries with exponential backoff on 408/429/5xx, timeouts and network errors; 4xx is
 * final. The URL often embeds a secret, so logs and errors name only its host.
 */
import { atLeast, type Severity } from '../verdicts/finding.js';
import { CLOUD_EVENT_TYPES } from '../config/names.js';
import type { TransitionKind } from '../store/types.js';
import { CLOUD_EVENT_TYPE_OF } from './eventgrid.js';
import { messageIdOf } from './message-id.js';
import { ALERT_KINDS, type AlertDigest, type AlertMessage, type AlertSink, type AlertSummary } from './types.js';
import { assertNever } from '../nsg/index.js';

export type WebhookFormat = 'generic' | 'teams' | 'slack';

export const WEBHOOK_FORMATS: readonly WebhookFormat[] = ['generic', 'teams', 'slack'];

export interface WebhookSinkOptions {
  url: string;
  format?: WebhookFormat;
  /** Transitions below this severity are not sent (default: low). */
  minSeverity?: Severity;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Attempts after the first on 408, 429, 5xx, timeouts and network errors (default 3). */
  retries?: number;
  /** First backoff delay, doubled per retry (default 500 ms); a Retry-After header wins, up to 30 s. */
  backoffMs?: number;
}

const MAX_BACKOFF_MS = 30_000;

const VERB: Record<TransitionKind, string> = {
  opened: 'opened',
  reopened: 'reopened',
  resolved: 'resolved',
  suppressed: 'suppressed',
  suppressionExpired: 'suppression expired',
};

function headline(alert: AlertSummary): string {
  return `[${alert.severity.toUpperCase()}] ${alert.ruleId} ${VERB[alert.kind]}: ${alert.resourceName}`;
}

function digestHeadline(digest: AlertDigest): string {
  const kinds = Object.entries(digest.byKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${VERB[k as TransitionKind]}`)
    .join(', ');
  return `nsgwatch: ${digest.total} finding changes (${kinds})`;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function genericPayload(message: AlertMessage): unknown {
  switch (message.kind) {
    case 'transition':
      return { type: CLOUD_EVENT_TYPE_OF[message.alert.kind], alert: message.alert };
    case 'digest':
      return { type: CLOUD_EVENT_TYPES.digest, digest: message.digest };
    default:
      return assertNever(message);
  }
}

/** A Teams workflow ("Post to a channel when a webhook request is received") takes an Adaptive Card message. */
export function teamsPayload(message: AlertMessage): unknown {
  const body: unknown[] = [];
  let link: string | undefined;
  switch (message.kind) {
    case 'transition': {
      const a = message.alert;
      link = a.link;
      body.push(
        { type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, text: cut(headline(a), 300) },
        { type: 'TextBlock', wrap: true, text: cut(a.message, 2_000) },
        {
          type: 'FactSet',
          facts: [
            { title: 'Rule', value: `${a.ruleId} — ${cut(a.title, 200)}` },
            { title: 'Severity', value: a.severity },
            { title: 'Resource', value: a.resourceId },
            ...(a.changedBy ? [{ title: 'Changed by', value: a.changedBy }] : []),
            ...(a.suppressionReason ? [{ title: 'Suppression', value: cut(a.suppressionReason, 300) }] : []),
            { title: 'At', value: a.at },
          ],
        },
      );
      break;
    }
    case 'digest': {
      const d = message.digest;
      link = d.link;
      body.push(
        { type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, text: digestHeadline(d) },
        {
          type: 'FactSet',
          facts: d.byRule.slice(0, 10).map((r) => ({ title: r.ruleId, value: String(r.count) })),
        },
        ...d.top.map((a) => ({ type: 'TextBlock', wrap: true, spacing: 'None', text: cut(`• ${headline(a)}`, 300) })),
      );
      break;
    }
    default:
      return assertNever(message);
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          ...(link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open in nsgwatch', url: link }] } : {}),
        },
      },
    ],
  };
}

/** Slack incoming webhook: Block Kit, within Slack's limits (header 150, section 3000 characters). */
export function slackPayload(message: AlertMessage): unknown {
  const blocks: unknown[] = [];
  let text: string;
  let link: string | undefined;
  switch (message.kind) {
    case 'transition': {
      const a = message.alert;
      text = headline(a);
      link = a.link;
      blocks.push(
        { type: 'header', text: { type: 'plain_text', text: cut(text, 150) } },
        { type: 'section', text: { type: 'mrkdwn', text: cut(`${a.message}\n*Resource:* \`${a.resourceId}\``, 3_000) } },
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: cut(`${a.ruleId} · ${a.severity} · ${a.at}${a.changedBy ? ` · changed by ${a.changedBy}` : ''}`, 3_000) },
          ],
        },
      );
      break;
    }
    case 'digest': {
      const d = message.digest;
      text = digestHeadline(d);
      link = d.link;
      blocks.push(
        { type: 'header', text: { type: 'plain_text', text: cut(text, 150) } },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: cut(d.byRule.map((r) => `*${r.ruleId}*: ${r.count}`).join('\n'), 3_000) },
        },
        { type: 'section', text: { type: 'mrkdwn', text: cut(d.top.map((a) => `• ${headline(a)}`).join('\n'), 3_000) } },
      );
      break;
    }
    default:
      return assertNever(message);
  }
  if (link) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in nsgwatch' }, url: link }],
    });
  }
  return { text: cut(text, 3_000), blocks };
}

function payloadOf(format: WebhookFormat, message: AlertMessage): unknown {
  switch (format) {
    case 'generic':
      return genericPayload(message);
    case 'teams':
      return teamsPayload(message);
    case 'slack':
      return slackPayload(message);
    default:
      return assertNever(format);
  }
}

type Attempt = { ok: true } | { ok: false; retry: boolean; reason: string; retryAfterMs?: number };

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

async function postOnce(url: string, body: string, timeoutMs: number, idempotencyKey: string): Promise<Attempt> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      // The same key on every resend of one message: receivers that honour it drop the duplicate.
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    // Drain the body so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return { ok: true };
    const retry = response.status === 408 || response.status === 429 || response.status >= 500;
    const after = retryAfterMs(response.headers.get('retry-after'));
    return { ok: false, retry, reason: `HTTP ${response.status}`, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const reason = name === 'TimeoutError' ? `no response within ${timeoutMs} ms` : `network error (${describe(error)})`;
    return { ok: false, retry: true, reason };
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const code = cause && typeof cause === 'object' && 'code' in cause ? String(cause.code) : undefined;
    return code ?? error.message;
  }
  return String(error);
}

export function createWebhookSink(options: WebhookSinkOptions): AlertSink {
  const url = new URL(options.url);
  const format = options.format ?? 'generic';
  const minSeverity = options.minSeverity ?? 'low';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = Math.max(0, options.retries ?? 3);
  const backoffMs = Math.max(0, options.backoffMs ?? 500);
  const where = url.host;

  async function post(message: AlertMessage): Promise<void> {
    const body = JSON.stringify(payloadOf(format, message));
    let last = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      const result = await postOnce(url.href, body, timeoutMs, messageIdOf(message));
      if (result.ok) return;
      last = result.reason;
      if (!result.retry || attempt === retries) break;
      const delay = Math.min(result.retryAfterMs ?? backoffMs * 2 ** attempt, MAX_BACKOFF_MS);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    throw new Error(`webhook ${where}: ${last}`);
  }

  return {
    name: `webhook:${format}`,
    accepts: (alert) => ALERT_KINDS.includes(alert.kind) && atLeast(alert.severity, minSeverity),
    async send(messages) {
      const failures: string[] = [];
      // In order, one at a time: chat channels show them as they happened, and a storm is a digest anyway.
      for (const message of messages) {
        try {
          await post(message);
        } catch (error) {
          failures.push(describe(error));
        }
      }
      if (failures.length > 0) {
        throw new Error(`${failures.length} of ${messages.length} webhook message(s) failed: ${failures[0]}`);
      }
    },
  };
}

