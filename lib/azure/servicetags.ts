/**
 * Service tag data from the Service Tag Discovery API (`serviceTags.list` for a location), kept
 * with its changeNumber: in memory for the life of the process, and optionally in a cache the
 * store implements (TABLES.serviceTags) so a cold instance need not read it again. The raw API
 * response is handed over as it is; the engine's parseServiceTags reads it.
 */
import type { Clock } from './budget.js';
import type { ReadFailureCause } from './arm-errors.js';
import { errorMessage } from '../nsg/index.js';

export interface ServiceTagData {
  /** As asked for, lower case. */
  location: string;
  changeNumber: string;
  cloud: string;
  /** Clock time the API was read. */
  fetchedAt: number;
  /** The API response body (REST shape: `{ changeNumber, cloud, values: [...] }`). */
  response: unknown;
}

/** Somewhere to keep service tag data across instances; the store may implement it. */
export interface ServiceTagCache {
  get(location: string): Promise<ServiceTagData | undefined>;
  set(data: ServiceTagData): Promise<void>;
}

export type ServiceTagsRead =
  /** Read from the API now; `changed` is false when the changeNumber equals what was held. */
  | { status: 'read'; data: ServiceTagData; changed: boolean; cacheError?: string }
  /** Held data younger than maxAge, no API call made. */
  | { status: 'cached'; data: ServiceTagData }
  /** The API read failed; older data is returned and says how old it is. */
  | { status: 'stale'; data: ServiceTagData; reason: string; cause: ReadFailureCause }
  | { status: 'failed'; reason: string; cause: ReadFailureCause };

export type ServiceTagsFetch = (
  subscriptionId: string,
  location: string,
) => Promise<{ ok: true; body: unknown } | { ok: false; reason: string; cause: ReadFailureCause }>;

export interface ServiceTagSourceOptions {
  fetch: ServiceTagsFetch;
  cache?: ServiceTagCache;
  /** Data younger than this is used without asking the API (tags change about weekly). */
  maxAgeMs?: number;
  clock: Pick<Clock, 'now'>;
}

export const DEFAULT_SERVICE_TAGS_MAX_AGE_MS = 6 * 60 * 60 * 1000;

export interface ServiceTagSource {
  read(subscriptionId: string, location: string): Promise<ServiceTagsRead>;
}

export function createServiceTagSource(options: ServiceTagSourceOptions): ServiceTagSource {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_SERVICE_TAGS_MAX_AGE_MS;
  const held = new Map<string, ServiceTagData>();
  // Concurrent callers for one location share one API read.
  const inFlight = new Map<string, Promise<ServiceTagsRead>>();

  const isFresh = (data: ServiceTagData): boolean => options.clock.now() - data.fetchedAt < maxAgeMs;

  async function readNow(subscriptionId: string, location: string): Promise<ServiceTagsRead> {
    let previous = held.get(location);
    if (!previous && options.cache) {
      previous = await options.cache.get(location).catch(() => undefined);
      if (previous) held.set(location, previous);
    }
    if (previous && isFresh(previous)) return { status: 'cached', data: previous };

    const fetched = await options.fetch(subscriptionId, location);
    const parsed = fetched.ok ? describeResponse(fetched.body) : fetched;
    if (!parsed.ok) {
      return previous
        ? { status: 'stale', data: previous, reason: parsed.reason, cause: parsed.cause }
        : { status: 'failed', reason: parsed.reason, cause: parsed.cause };
    }
    const data: ServiceTagData = {
      location,
      changeNumber: parsed.changeNumber,
      cloud: parsed.cloud,
      fetchedAt: options.clock.now(),
      response: parsed.body,
    };
    held.set(location, data);
    const changed = previous?.changeNumber !== data.changeNumber;
    let cacheError: string | undefined;
    if (options.cache) {
      await options.cache.set(data).catch((error: unknown) => {
        cacheError = errorMessage(error);
      });
    }
    return cacheError === undefined ? { status: 'read', data, changed } : { status: 'read', data, changed, cacheError };
  }

  return {
    read(subscriptionId, rawLocation) {
      const location = rawLocation.trim().toLowerCase();
      const pending = inFlight.get(location);
      if (pending) return pending;
      const started = readNow(subscriptionId, location).finally(() => inFlight.delete(location));
      inFlight.set(location, started);
      return started;
    },
  };
}

type DescribedResponse =
  | { ok: true; body: unknown; changeNumber: string; cloud: string }
  | { ok: false; reason: string; cause: ReadFailureCause };

/** Checks the response is service tag data at all before anything keeps it. */
function describeResponse(body: unknown): DescribedResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'service tags response is not a JSON object', cause: 'bad-response' };
  }
  const record = body as Record<string, unknown>;
  if (!Array.isArray(record['values'])) {
    return { ok: false, reason: "service tags response has no 'values' array", cause: 'bad-response' };
  }
  const changeNumber = record['changeNumber'];
  if (typeof changeNumber !== 'string' && typeof changeNumber !== 'number') {
    return { ok: false, reason: "service tags response has no 'changeNumber'", cause: 'bad-response' };
  }
  const cloud = typeof record['cloud'] === 'string' ? record['cloud'] : '';
  return { ok: true, body, changeNumber: String(changeNumber), cloud };
}
