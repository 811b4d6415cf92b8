/**
 * The Functions' bodies, shared with local mode: Event Grid delivery → scopes → coalescing queue;
 * queue message → evaluateScope; timer → sweep. The files in functions/ only register these.
 */
import type { DispatchReport } from '../alerts/dispatcher.js';
import type { Alerter } from '../alerts/index.js';
import { parseEvents, type EventError } from '../azure/events.js';
import { causeOfChange, type ChangeCause, type Coalescer } from '../azure/coalesce.js';
import { scopesForChange, subscriptionScope, type Scope } from '../azure/scopes.js';
import { EVENTS } from '../config/names.js';
import type { EvaluationCause, FindingsStore, Transition } from '../store/index.js';
import type { PipelineLog } from './pipeline.js';
import type { EvaluationOutcome, Pipeline } from './types.js';
import { assertNever } from '../nsg/index.js';

/** Everything a handler needs; built once per process (lib/runtime.ts) or by local mode. */
export interface Runtime {
  pipeline: Pipeline;
  coalescer: Coalescer;
  store: FindingsStore;
  alerter: Alerter;
  log: PipelineLog;
  /**
   * The watched subscriptions. A network manager's groups may hold networks of any subscription
   * in its scope, and each network's effective security admin rules are read in that network's
   * subscription (https://learn.microsoft.com/azure/virtual-network-manager/concept-network-manager-scope):
   * a security admin change re-judges every watched subscription, not only the manager's.
   */
  watched?: () => Promise<string[]>;
}

export interface EventsHandled {
  changes: number;
  /** Scopes that opened a coalescing window (one queue message each). */
  enqueued: number;
  /** Scopes whose open window absorbed the event. */
  coalesced: number;
  /** Events for types nsgwatch does not watch, and other event types. */
  ignored: number;
  errors: EventError[];
  /** Set when the delivery was an Event Grid subscription handshake. */
  validationCode?: string;
}

/**
 * One Event Grid delivery (the trigger's event, or an HTTP body with a batch). Throws only when
 * storage fails, so Event Grid redelivers; a malformed event is reported, not retried.
 */
export async function handleResourceEvents(body: unknown, rt: Pick<Runtime, 'coalescer' | 'log' | 'watched'>): Promise<EventsHandled> {
  const parsed = await parseEvents(body);
  if (!parsed.ok) {
    rt.log('warn', `event delivery rejected: ${parsed.error.message}`);
    return { changes: 0, enqueued: 0, coalesced: 0, ignored: 0, errors: [parsed.error] };
  }
  const handled: EventsHandled = { changes: 0, enqueued: 0, coalesced: 0, ignored: 0, errors: [...parsed.errors] };
  for (const error of parsed.errors) rt.log('warn', `event ${error.eventId ?? `#${error.index}`} rejected: ${error.message}`);
  for (const event of parsed.events) {
    switch (event.kind) {
      case 'subscriptionValidation':
        handled.validationCode = event.validationCode;
        break;
      case 'ignored':
        handled.ignored += 1;
        break;
      case 'change': {
        handled.changes += 1;
        const scopes = scopesForChange(event.change);
        if (!scopes.ok) {
          handled.errors.push({ code: 'invalidField', index: 0, eventId: event.change.eventId, field: scopes.error.field, message: scopes.error.message });
          rt.log('warn', `event ${event.change.eventId}: ${scopes.error.message}`);
          break;
        }
        if (scopes.scopes.length === 0) handled.ignored += 1;
        for (const scope of [...scopes.scopes, ...(await alsoWatched(scopes.scopes, rt))]) {
          const outcome = await rt.coalescer.enqueueScope(scope, causeOfChange(event.change));
          if (outcome.status === 'enqueued') handled.enqueued += 1;
          else handled.coalesced += 1;
        }
        break;
      }
      default:
        return assertNever(event, 'parsed event');
    }
  }
  return handled;
}

/**
 * The other watched subscriptions a security admin change re-judges (scopesForChange gives a
 * subscription scope for exactly those changes), each once per coalescing window.
 */
async function alsoWatched(scopes: readonly Scope[], rt: Pick<Runtime, 'watched'>): Promise<Scope[]> {
  const admin = scopes.filter((s) => s.kind === 'subscription');
  if (admin.length === 0 || !rt.watched) return [];
  const own = new Set(admin.map((s) => s.subscriptionId));
  const watched = await rt.watched();
  return [...new Set(watched.map((w) => w.trim().toLowerCase()))].filter((w) => w !== '' && !own.has(w)).map(subscriptionScope);
}

/** What the queue trigger receives besides the message. */
export interface QueueDelivery {
  id: string;
  dequeueCount: number;
}

export interface EvaluateHandlerOptions {
  /** The host's maxDequeueCount (host.json): on the last attempt a failure is logged as dead-lettered. */
  maxDequeueCount: number;
}

export type EvaluateHandled =
  | { status: 'evaluated'; outcome: EvaluationOutcome }
  | { status: 'skipped'; reason: string };

/**
 * One QUEUES.evaluate message: close the scope's coalescing window, evaluate the scope. Throws
 * when the evaluation could not conclude (unreadable state, store down), so the host retries and
 * finally keeps the message in the poison queue; the last failure says why in the log and telemetry.
 */
export async function handleEvaluateMessage(
  message: unknown,
  delivery: QueueDelivery,
  rt: Pick<Runtime, 'coalescer' | 'pipeline' | 'alerter' | 'log'>,
  options: EvaluateHandlerOptions,
): Promise<EvaluateHandled> {
  const lastAttempt = delivery.dequeueCount >= options.maxDequeueCount;
  const claim = await rt.coalescer.claimScope(message);
  if (!claim.evaluate) {
    if (claim.status === 'invalidMessage') {
      // Not ours to drop silently: failing it keeps it in the poison queue for a person to look at.
      const reason = `message ${delivery.id} is not an evaluation request: ${claim.reason}`;
      rt.log('error', reason, { event: EVENTS.eventDeadLettered });
      if (lastAttempt) rt.alerter.recordDeadLettered({ scope: '', reason });
      throw new Error(reason);
    }
    return { status: 'skipped', reason: `a newer window (${claim.currentWindowId}) will evaluate ${claim.scope.id}` };
  }
  const outcome = await rt.pipeline.evaluateScope(claim.scope, evaluationCause(claim.causes));
  if (outcome.status === 'failed') {
    const reason = `evaluation of ${claim.scope.kind} ${claim.scope.id} failed (attempt ${delivery.dequeueCount}): ${outcome.failure ?? 'unknown'}`;
    rt.log('error', lastAttempt ? `${reason}; the message goes to the poison queue` : reason, {
      event: lastAttempt ? EVENTS.eventDeadLettered : EVENTS.evaluationFailed,
      scope: claim.scope.id,
      dequeueCount: delivery.dequeueCount,
    });
    if (lastAttempt) rt.alerter.recordDeadLettered({ scope: claim.scope.id, reason });
    throw new Error(reason);
  }
  return { status: 'evaluated', outcome };
}

/** The history keeps the first cause's ids and the people behind every change in the window. */
export function evaluationCause(causes: readonly ChangeCause[]): EvaluationCause {
  const first = causes[0];
  if (!first) return { operation: 'reconcile' };
  const people = [...new Set(causes.map((c) => c.changedBy).filter((p): p is string => p !== undefined))];
  const earliest = causes.reduce((min, c) => (c.eventTime < min ? c.eventTime : min), first.eventTime);
  return {
    eventId: first.eventId,
    correlationId: first.correlationId,
    operation: first.operationName,
    eventTime: new Date(earliest),
    ...(people.length > 0 ? { changedBy: people.join(', ') } : {}),
  };
}

/** The dispatch timer: deliver what the outbox still owes the sinks (retries with backoff). */
export async function handleDispatch(rt: Pick<Runtime, 'pipeline' | 'log'>): Promise<DispatchReport | undefined> {
  const report = await rt.pipeline.dispatch();
  if (report && (report.claimed > 0 || report.pending > 0)) {
    rt.log(report.failedSinks.length > 0 ? 'warn' : 'info', `outbox: ${report.completed} delivered, ${report.deferred} deferred, ${report.pending} pending${report.failedSinks.length > 0 ? ` (down: ${report.failedSinks.join(', ')})` : ''}`);
  }
  return report;
}

export interface ReconcileHandled {
  outcomes: EvaluationOutcome[];
  expired: Transition[];
}

/** The timer: expire suppressions, then sweep every watched subscription. */
export async function handleReconcile(rt: Pick<Runtime, 'pipeline' | 'store' | 'alerter' | 'log'>): Promise<ReconcileHandled> {
  const expired = await rt.store.expireSuppressions({ operation: 'reconcile' });
  await rt.pipeline.dispatch();
  const outcomes = await rt.pipeline.sweep(undefined, { operation: 'reconcile' });
  for (const outcome of outcomes) {
    rt.log(outcome.status === 'evaluated' ? 'info' : 'error', `reconcile ${outcome.scope.subscriptionId}: ${outcome.status}, ${outcome.transitions.length} transitions, ${outcome.findings} findings, ${outcome.durationMs} ms${outcome.failure ? `: ${outcome.failure}` : ''}`);
  }
  rt.alerter.recordOpenFindings(await rt.store.countOpenFindings());
  return { outcomes, expired };
}
