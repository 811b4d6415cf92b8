/**
 * Delivers the outbox (lib/store/outbox.ts): every transition's notification to every sink,
 * exactly once in effect. One round: read what is due, claim it (ETag-guarded, so two instances
 * never both send a row), send each sink what it has not had, record per sink what went out, and
 * delete a row once every sink has it. A sink that is down keeps its rows for the next round,
 * backing off per row; a crash anywhere leaves the rows due again once the claim runs out. The only
 * duplicate left is a crash between a send and its record: the message then goes again with the
 * same CloudEvent id / Idempotency-Key (message-id.ts), which receivers deduplicate on.
 */
import type { FindingsStore, OutboxSettlement, PendingNotification } from '../store/types.js';
import type { Alerter, AlertLog } from './types.js';

export type OutboxStore = Pick<FindingsStore, 'dueNotifications' | 'claimNotifications' | 'settleNotification' | 'pendingNotifications'>;

export interface DispatcherOptions {
  store: OutboxStore;
  alerter: Alerter;
  now?: () => Date;
  /** How long a claim holds a row: longer than a sink takes with its own retries (default 2 min). */
  claimMs?: number;
  /** First delay after a failed delivery, doubled per attempt up to `maxBackoffMs` (default 30 s, 1 h). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Rows per round (default 500). */
  batch?: number;
  log?: AlertLog;
}

export interface DispatchReport {
  /** Rows this round claimed. */
  claimed: number;
  /** Rows every sink now has (removed from the outbox). */
  completed: number;
  /** Rows left for a later round (a sink failed). */
  deferred: number;
  /** Sinks that failed this round. */
  failedSinks: string[];
  /** What waits after the round. */
  pending: number;
}

export interface Dispatcher {
  /** One round; never throws for a sink's failure (a store failure does throw). */
  dispatch(): Promise<DispatchReport>;
  /** Rounds until nothing is due or `rounds` ran (local mode and tests). */
  drain(rounds?: number): Promise<DispatchReport[]>;
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const now = options.now ?? (() => new Date());
  const claimMs = options.claimMs ?? 120_000;
  const backoffMs = options.backoffMs ?? 30_000;
  const maxBackoffMs = options.maxBackoffMs ?? 3_600_000;
  const batch = options.batch ?? 500;
  const log = options.log ?? (() => undefined);
  const { store, alerter } = options;
  let running: Promise<DispatchReport> | undefined;

  async function round(): Promise<DispatchReport> {
    const at = now();
    const due = await store.dueNotifications({ dueBy: at, limit: batch });
    const claimed = due.length === 0 ? [] : await store.claimNotifications(due, new Date(at.getTime() + claimMs));
    const sinks = alerter.sinkNames();
    const delivered = new Map<PendingNotification, Set<string>>(claimed.map((item) => [item, new Set(item.delivered)]));
    const errors = new Map<PendingNotification, string>();
    const failedSinks: string[] = [];

    alerter.recordLatency(claimed.filter((item) => item.attempts === 0 && item.delivered.length === 0).map((item) => item.transition));
    await Promise.all(
      sinks.map(async (sink) => {
        const items = claimed.filter((item) => !delivered.get(item)?.has(sink));
        if (items.length === 0) return;
        const outcome = await alerter.deliverTo(sink, items.map((item) => item.transition));
        if (outcome.status === 'failed') {
          failedSinks.push(sink);
          for (const item of items) errors.set(item, `${sink}: ${outcome.error}`);
          return;
        }
        for (const item of items) delivered.get(item)?.add(sink);
      }),
    );

    let completed = 0;
    let deferred = 0;
    for (const item of claimed) {
      const have = delivered.get(item) ?? new Set<string>();
      const done = sinks.every((sink) => have.has(sink));
      const delay = Math.min(backoffMs * 2 ** Math.min(item.attempts, 20), maxBackoffMs);
      const settlement: OutboxSettlement = done
        ? { done: true }
        : { done: false, delivered: [...have], retryAt: new Date(now().getTime() + delay), ...(errors.has(item) ? { error: errors.get(item) ?? '' } : {}) };
      const mine = await store.settleNotification(item, settlement);
      if (!mine) log('warn', `notification ${item.transition.id}: another dispatcher took it over`);
      else if (done) completed += 1;
      else deferred += 1;
    }
    const pending = await store.pendingNotifications();
    alerter.recordPendingNotifications({ count: pending.count, oldestAgeMs: pending.oldest ? Math.max(0, now().getTime() - Date.parse(pending.oldest)) : 0 });
    if (failedSinks.length > 0) log('warn', `${deferred} notification(s) wait for ${failedSinks.join(', ')}`, { pending: pending.count });
    return { claimed: claimed.length, completed, deferred, failedSinks: failedSinks.sort(), pending: pending.count };
  }

  // One round at a time per process: a round started while another runs waits for it and goes next.
  async function dispatch(): Promise<DispatchReport> {
    const previous = running;
    const next = (async () => {
      await previous?.catch(() => undefined);
      return round();
    })();
    running = next;
    try {
      return await next;
    } finally {
      if (running === next) running = undefined;
    }
  }

  return {
    dispatch,
    async drain(rounds = 10) {
      const reports: DispatchReport[] = [];
      for (let i = 0; i < rounds; i++) {
        const report = await dispatch();
        reports.push(report);
        if (report.claimed === 0 || report.failedSinks.length > 0) break;
      }
      return reports;
    },
  };
}
