/**
 * ARM read budget: a token bucket per (subscription, identity), shared by every read in the
 * process. ARM grants about 250 reads per bucket, refilled at 25 per second; nsgwatch spends it in
 * two lanes so that a sweep never starves event handling: event reads may take the last token,
 * sweep reads only take a token while more than `sweepReserve` remain.
 *
 * The bucket arithmetic is pure (state in, state out, the time passed in); `createReadBudget`
 * wraps it with an injected clock for the callers that wait.
 */
import { assertNever } from '../nsg/index.js';

/** Who is reading: an event-driven evaluation or a reconciliation sweep. */
export type ReadLane = 'event' | 'sweep';


export interface ReadBudgetConfig {
  /** Tokens the bucket holds when full (ARM: about 250). */
  capacity: number;
  /** Tokens added per second (ARM: 25). */
  refillPerSecond: number;
  /** Tokens a sweep leaves for event reads: it takes one only while more than this remain. */
  sweepReserve: number;
}

export const DEFAULT_READ_BUDGET: ReadBudgetConfig = {
  capacity: 250,
  refillPerSecond: 25,
  sweepReserve: 100,
};

/** Time source and waiting, injected so that tests run on virtual time. */
export interface Clock {
  /** Milliseconds since the epoch (or any fixed origin). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface BucketState {
  /** Fractional: refill is continuous. */
  tokens: number;
  /** When `tokens` was last brought up to date. */
  updatedAt: number;
  /** No read at all before this time (set after ARM answered 429). */
  pausedUntil: number;
}

export type TakeResult =
  | { granted: true; state: BucketState }
  | { granted: false; state: BucketState; waitMs: number };

export function validateBudgetConfig(config: ReadBudgetConfig): string[] {
  const problems: string[] = [];
  if (!(config.capacity >= 1)) problems.push(`capacity must be at least 1, got ${config.capacity}`);
  if (!(config.refillPerSecond > 0)) problems.push(`refillPerSecond must be positive, got ${config.refillPerSecond}`);
  if (!(config.sweepReserve >= 0 && config.sweepReserve < config.capacity)) {
    problems.push(`sweepReserve must be in [0, capacity), got ${config.sweepReserve}`);
  }
  return problems;
}

export function fullBucket(config: ReadBudgetConfig, now: number): BucketState {
  return { tokens: config.capacity, updatedAt: now, pausedUntil: now };
}

/** The state at `now`: tokens refilled for the time passed, never above capacity. */
export function refill(state: BucketState, config: ReadBudgetConfig, now: number): BucketState {
  if (now <= state.updatedAt) return state;
  const tokens = Math.min(config.capacity, state.tokens + ((now - state.updatedAt) / 1000) * config.refillPerSecond);
  return { ...state, tokens, updatedAt: now };
}

/** Tokens that must be in the bucket for `lane` to take one. */
export function threshold(config: ReadBudgetConfig, lane: ReadLane): number {
  switch (lane) {
    case 'event':
      return 1;
    case 'sweep':
      return config.sweepReserve + 1;
    default:
      return assertNever(lane);
  }
}

/** Takes one token for `lane`, or says how long to wait before asking again. */
export function takeToken(state: BucketState, config: ReadBudgetConfig, lane: ReadLane, now: number): TakeResult {
  const current = refill(state, config, now);
  if (now < current.pausedUntil) {
    return { granted: false, state: current, waitMs: current.pausedUntil - now };
  }
  const needed = threshold(config, lane);
  if (current.tokens >= needed) {
    return { granted: true, state: { ...current, tokens: current.tokens - 1 } };
  }
  const waitMs = Math.ceil(((needed - current.tokens) / config.refillPerSecond) * 1000);
  return { granted: false, state: current, waitMs: Math.max(1, waitMs) };
}

/**
 * ARM reports what is left of its own bucket (x-ms-ratelimit-remaining-subscription-reads); other
 * instances using the same identity spend from it too, so the local view never claims more.
 */
export function observeRemaining(state: BucketState, config: ReadBudgetConfig, remaining: number, now: number): BucketState {
  const current = refill(state, config, now);
  if (!Number.isFinite(remaining) || remaining < 0) return current;
  return { ...current, tokens: Math.min(current.tokens, remaining) };
}

/** After a 429: nothing reads until `until`, and the bucket starts again from empty. */
export function pauseUntil(state: BucketState, config: ReadBudgetConfig, until: number, now: number): BucketState {
  const current = refill(state, config, now);
  if (until <= current.pausedUntil) return current;
  // Refill resumes at `until`, not before: updatedAt moves there with the bucket empty.
  return { tokens: 0, updatedAt: Math.max(until, current.updatedAt), pausedUntil: until };
}

/** One bucket with its clock: what the ARM pipeline calls before each request. */
export interface ReadBudget {
  readonly config: ReadBudgetConfig;
  /** Waits (on the clock) until `lane` may read, then takes a token. Resolves to the time waited. */
  acquire(lane: ReadLane): Promise<number>;
  /** Takes a token if one is available to `lane` now; otherwise returns the wait in ms. */
  tryAcquire(lane: ReadLane): { granted: true } | { granted: false; waitMs: number };
  observeRemaining(remaining: number): void;
  pauseFor(ms: number): void;
  /** Tokens in the bucket now (fractional). */
  available(): number;
}

export function createReadBudget(config: ReadBudgetConfig = DEFAULT_READ_BUDGET, clock: Clock = systemClock): ReadBudget {
  const problems = validateBudgetConfig(config);
  if (problems.length > 0) throw new RangeError(`invalid ARM read budget: ${problems.join('; ')}`);
  let state = fullBucket(config, clock.now());

  const tryAcquire = (lane: ReadLane): { granted: true } | { granted: false; waitMs: number } => {
    const result = takeToken(state, config, lane, clock.now());
    state = result.state;
    return result.granted ? { granted: true } : { granted: false, waitMs: result.waitMs };
  };

  return {
    config,
    tryAcquire,
    async acquire(lane) {
      const started = clock.now();
      for (;;) {
        const result = tryAcquire(lane);
        if (result.granted) return clock.now() - started;
        await clock.sleep(result.waitMs);
      }
    },
    observeRemaining(remaining) {
      state = observeRemaining(state, config, remaining, clock.now());
    },
    pauseFor(ms) {
      const now = clock.now();
      state = pauseUntil(state, config, now + Math.max(0, ms), now);
    },
    available() {
      state = refill(state, config, clock.now());
      return state.tokens;
    },
  };
}

/** The process-wide set of buckets, one per (subscription, identity). */
export interface ReadBudgets {
  forKey(subscriptionId: string, identity: string): ReadBudget;
}

export function createReadBudgets(config: ReadBudgetConfig = DEFAULT_READ_BUDGET, clock: Clock = systemClock): ReadBudgets {
  const problems = validateBudgetConfig(config);
  if (problems.length > 0) throw new RangeError(`invalid ARM read budget: ${problems.join('; ')}`);
  const buckets = new Map<string, ReadBudget>();
  return {
    forKey(subscriptionId, identity) {
      // Subscription ids are GUIDs and case-insensitive in ARM ids.
      const key = `${subscriptionId.toLowerCase()}|${identity}`;
      let budget = buckets.get(key);
      if (!budget) {
        budget = createReadBudget(config, clock);
        buckets.set(key, budget);
      }
      return budget;
    },
  };
}

