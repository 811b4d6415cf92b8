/**
 * What a failed ARM read means. Only a 404 says a resource is gone; everything else (throttling,
 * 5xx, timeouts, network, permissions) says nothing about the resource and must never resolve a
 * finding: the caller reports it as unreadable.
 */
import { isRestError } from '@azure/core-rest-pipeline';
import { ARM_READ_TIMEOUT_CODE, type ReadContext } from './arm-policy.js';
import { assertNever, errorMessage } from '../nsg/index.js';

export type ReadFailureCause =
  | 'throttled'
  | 'server-error'
  | 'timeout'
  | 'network'
  | 'denied'
  | 'client-error'
  | 'bad-response'
  | 'bad-id'
  | 'scope-limit';

export interface ReadFailure {
  /** The resource id, or the list path for a list that did not complete. */
  target: string;
  /** ARM type of what could not be read (for a list: every resource of this type may be missing). */
  resourceType: string;
  cause: ReadFailureCause;
  /** HTTP status of the last answer, when there was one. */
  httpStatus?: number;
  /** Attempts the failing request took. */
  attempts: number;
  message: string;
}

/** 404 codes that describe the request, not the resource: they do not mean "deleted". */
const NOT_A_DELETION = new Set(['invalidresourcetype', 'noregisteredproviderfound', 'invalidapiversionparameter']);

export type ClassifiedReadError =
  | { kind: 'deleted'; message: string }
  | { kind: 'failed'; cause: ReadFailureCause; httpStatus?: number; message: string };

export function classifyReadError(error: unknown): ClassifiedReadError {
  if (isRestError(error)) {
    const status = error.statusCode;
    const code = error.code ?? '';
    const message = error.message || `HTTP ${status ?? '?'}`;
    if (status === 404) {
      return NOT_A_DELETION.has(code.toLowerCase())
        ? { kind: 'failed', cause: 'client-error', httpStatus: status, message }
        : { kind: 'deleted', message };
    }
    if (code === ARM_READ_TIMEOUT_CODE) return { kind: 'failed', cause: 'timeout', message };
    if (status === undefined) return { kind: 'failed', cause: 'network', message: code ? `${code}: ${message}` : message };
    return { kind: 'failed', cause: causeOfStatus(status), httpStatus: status, message };
  }
  const message = errorMessage(error);
  return { kind: 'failed', cause: 'bad-response', message };
}

export function causeOfStatus(status: number): ReadFailureCause {
  if (status === 429 || status === 503) return 'throttled';
  if (status === 401 || status === 403) return 'denied';
  if (status === 408 || status >= 500) return 'server-error';
  if (status >= 200 && status < 300) return 'bad-response';
  return 'client-error';
}

/** One line a person can act on: what failed, how often it was tried, why. */
export function describeFailure(classified: Extract<ClassifiedReadError, { kind: 'failed' }>, context: ReadContext): string {
  const tries = context.lastAttempts > 1 ? ` after ${context.lastAttempts} attempts` : '';
  switch (classified.cause) {
    case 'throttled':
      return `throttled by ARM${tries} (HTTP ${classified.httpStatus ?? 429}): ${classified.message}`;
    case 'server-error':
      return `ARM server error${tries} (HTTP ${classified.httpStatus ?? '5xx'}): ${classified.message}`;
    case 'timeout':
      return `timed out${tries}: ${classified.message}`;
    case 'network':
      return `network error${tries}: ${classified.message}`;
    case 'denied':
      return `access denied (HTTP ${classified.httpStatus ?? 403}): ${classified.message}`;
    case 'client-error':
      return `ARM rejected the read (HTTP ${classified.httpStatus ?? 400}): ${classified.message}`;
    case 'bad-response':
      return `unreadable ARM response: ${classified.message}`;
    case 'bad-id':
    case 'scope-limit':
      return classified.message;
    default:
      return assertNever(classified.cause);
  }
}

