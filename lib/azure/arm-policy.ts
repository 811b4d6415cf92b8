/**
 * The pipeline policy every ARM read goes through: it takes a token from the read budget before
 * each attempt, bounds each attempt with a timeout, and retries throttling (429 + Retry-After),
 * 5xx, timeouts and network errors with exponential backoff and jitter, a bounded number of times.
 *
 * It replaces the SDK's defaultRetryPolicy rather than sitting beside it, because that policy
 * sleeps on a real timer (tests could not run on virtual time), does not retry a request that
 * timed out (the transport aborts it and the AbortError is rethrown as is), cannot charge each
 * attempt to the read budget, and measures an HTTP-date Retry-After against the wall clock.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  RestError,
  isRestError,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { subscriptionOf } from '../arm/index.js';
import type { Clock, ReadBudgets, ReadLane } from './budget.js';
import { assertNever, errorMessage } from '../nsg/index.js';

export const ARM_READ_POLICY_NAME = 'nsgwatchArmReadPolicy';
/** Not exported by @azure/core-rest-pipeline; the name the SDK registers its retry policy under. */
export const SDK_DEFAULT_RETRY_POLICY_NAME = 'defaultRetryPolicy';

export interface ArmRetryOptions {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Backoff before retry n (n ≥ 1) is min(maxDelayMs, baseDelayMs·2^(n-1)), jittered to 50–100 %. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** One attempt that takes longer is abandoned and counts as a timeout. */
  attemptTimeoutMs: number;
  /** A Retry-After longer than this is not waited for: the read fails as throttled. */
  maxRetryAfterMs: number;
}

export const DEFAULT_ARM_RETRY: ArmRetryOptions = {
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  attemptTimeoutMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** Per logical read (one list with its pages, one GET): carried through the SDK by AsyncLocalStorage. */
export interface ReadContext {
  lane: ReadLane;
  /** HTTP attempts sent, retries included: what the read cost in budget. */
  requests: number;
  /** Attempts the most recent request took. */
  lastAttempts: number;
  /** Why the most recent request's last attempt failed, if it did. */
  lastFault?: AttemptFault;
}

export type AttemptFault =
  | { kind: 'throttled'; status: number; retryAfterMs: number | undefined }
  | { kind: 'server-error'; status: number }
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'network'; code: string; message: string };

const readContexts = new AsyncLocalStorage<ReadContext>();

/** Runs `read` with its own context; every ARM request it makes is charged to `lane`. */
export async function withReadContext<T>(lane: ReadLane, read: (context: ReadContext) => Promise<T>): Promise<T> {
  const context: ReadContext = { lane, requests: 0, lastAttempts: 0 };
  return readContexts.run(context, () => read(context));
}

export interface ArmReadPolicyOptions {
  budgets: ReadBudgets;
  /** Second half of the budget key: the identity reads are made as. */
  identity: string;
  retry: ArmRetryOptions;
  clock: Clock;
  /** In [0, 1): jitter source (seeded in tests). */
  random: () => number;
}

/** Codes of transport errors worth retrying (Node and the SDK's own). */
const RETRYABLE_NETWORK_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ENETUNREACH',
  'EHOSTUNREACH',
  RestError.REQUEST_SEND_ERROR,
]);

export function armReadPolicy(options: ArmReadPolicyOptions): PipelinePolicy {
  const { budgets, identity, retry, clock, random } = options;
  return {
    name: ARM_READ_POLICY_NAME,
    async sendRequest(request, next) {
      const context = readContexts.getStore();
      const lane: ReadLane = context?.lane ?? 'event';
      const subscriptionId = subscriptionOf(new URL(request.url).pathname) ?? 'tenant';
      const budget = budgets.forKey(subscriptionId, identity);
      if (context) delete context.lastFault;

      for (let attempt = 1; ; attempt += 1) {
        await budget.acquire(lane);
        if (context) {
          context.requests += 1;
          context.lastAttempts = attempt;
        }
        const outcome = await sendAttempt(request, next, retry.attemptTimeoutMs);
        if (outcome.kind === 'response') {
          const remaining = remainingReads(outcome.response);
          if (remaining !== undefined) budget.observeRemaining(remaining);
        }
        const fault = classifyAttempt(outcome, clock);
        if (fault === undefined) return unwrap(outcome);
        if (context) context.lastFault = fault;

        let waitMs = backoffMs(attempt, retry, random);
        if (fault.kind === 'throttled') {
          const retryAfter = fault.retryAfterMs;
          if (retryAfter !== undefined && retryAfter > retry.maxRetryAfterMs) return unwrap(outcome);
          if (retryAfter !== undefined) waitMs = retryAfter;
          // 429 means the subscription's bucket is empty for everyone here, not just this read.
          if (fault.status === 429) budget.pauseFor(waitMs);
        }
        if (attempt >= retry.maxAttempts) return unwrap(outcome);
        await clock.sleep(waitMs);
      }
    },
  };
}

type AttemptOutcome =
  | { kind: 'response'; response: PipelineResponse }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout'; afterMs: number; request: PipelineRequest };

async function sendAttempt(
  request: PipelineRequest,
  next: (request: PipelineRequest) => Promise<PipelineResponse>,
  timeoutMs: number,
): Promise<AttemptOutcome> {
  const outer = request.abortSignal;
  if (outer?.aborted) return { kind: 'error', error: new RestError('The ARM read was cancelled.', { request }) };
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort();
  outer?.addEventListener('abort', onOuterAbort);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  request.abortSignal = controller.signal;
  try {
    const response = await next(request);
    return timedOut ? { kind: 'timeout', afterMs: timeoutMs, request } : { kind: 'response', response };
  } catch (error) {
    return timedOut ? { kind: 'timeout', afterMs: timeoutMs, request } : { kind: 'error', error };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
    if (outer) request.abortSignal = outer;
    else delete request.abortSignal;
  }
}

/** Undefined when the attempt is final (success or an answer retrying cannot change). */
function classifyAttempt(outcome: AttemptOutcome, clock: Clock): AttemptFault | undefined {
  switch (outcome.kind) {
    case 'response': {
      const { status } = outcome.response;
      if (status === 429 || status === 503) {
        return { kind: 'throttled', status, retryAfterMs: retryAfterMs(outcome.response, clock.now()) };
      }
      if (status === 408 || (status >= 500 && status !== 501 && status !== 505)) return { kind: 'server-error', status };
      return undefined;
    }
    case 'timeout':
      return { kind: 'timeout', afterMs: outcome.afterMs };
    case 'error': {
      const { error } = outcome;
      if (isRestError(error) && error.code !== undefined && RETRYABLE_NETWORK_CODES.has(error.code)) {
        return { kind: 'network', code: error.code, message: error.message };
      }
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) {
        return { kind: 'network', code, message: errorMessage(error) };
      }
      return undefined;
    }
    default:
      return assertNever(outcome);
  }
}

function unwrap(outcome: AttemptOutcome): PipelineResponse {
  switch (outcome.kind) {
    case 'response':
      return outcome.response;
    case 'error':
      throw outcome.error;
    case 'timeout':
      throw new RestError(`ARM did not answer within ${outcome.afterMs} ms`, {
        code: ARM_READ_TIMEOUT_CODE,
        request: outcome.request,
      });
    default:
      return assertNever(outcome);
  }
}

/** RestError code of a read whose last attempt timed out. */
export const ARM_READ_TIMEOUT_CODE = 'ArmReadTimeout';

/** Equal jitter: half the exponential step for sure, the other half at random. */
export function backoffMs(attempt: number, retry: ArmRetryOptions, random: () => number): number {
  const step = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (step / 2) * random());
}

/**
 * Retry-After in ms from `retry-after-ms`, `x-ms-retry-after-ms` (ms) or `Retry-After` (seconds,
 * or an HTTP date measured against `now`). Undefined when none is given or none parses.
 */
export function retryAfterMs(response: Pick<PipelineResponse, 'headers'>, now: number): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = response.headers.get(name)?.trim();
    if (value && /^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value));
  }
  const value = response.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** The fewest reads ARM says are left, from its rate-limit headers; undefined when absent. */
export function remainingReads(response: Pick<PipelineResponse, 'headers'>): number | undefined {
  let least: number | undefined;
  for (const name of ['x-ms-ratelimit-remaining-subscription-reads', 'x-ms-ratelimit-remaining-subscription-global-reads']) {
    const value = response.headers.get(name)?.trim();
    if (value && /^\d+$/.test(value)) least = Math.min(least ?? Infinity, Number(value));
  }
  return least;
}

