import { describe, expect, it } from 'vitest';
import {
  createReadBudget,
  createReadBudgets,
  fullBucket,
  observeRemaining,
  pauseUntil,
  refill,
  takeToken,
  validateBudgetConfig,
  type BucketState,
  type ReadBudgetConfig,
  type ReadLane,
} from '../../lib/azure/budget.js';
import { createVirtualClock } from '../support/arm-transport.js';

const config: ReadBudgetConfig = { capacity: 250, refillPerSecond: 25, sweepReserve: 100 };
const at = (tokens: number, updatedAt = 0, pausedUntil = 0): BucketState => ({ tokens, updatedAt, pausedUntil });

describe('token bucket arithmetic', () => {
  it.each([
    ['full stays full', at(250), 10_000, 250],
    ['refills 25 per second', at(0), 1_000, 25],
    ['refills continuously', at(0), 40, 1],
    ['never above capacity', at(240), 2_000, 250],
    ['time going backwards changes nothing', at(10, 5_000), 1_000, 10],
  ])('refill: %s', (_name, state, now, tokens) => {
    expect(refill(state, config, now).tokens).toBeCloseTo(tokens, 9);
  });

  it.each<[string, BucketState, ReadLane, number, boolean, number | undefined]>([
    ['event takes from a full bucket', at(250), 'event', 0, true, undefined],
    ['event takes the last token', at(1), 'event', 0, true, undefined],
    ['event waits 40 ms for one token', at(0), 'event', 0, false, 40],
    ['sweep takes above the reserve', at(101), 'sweep', 0, true, undefined],
    ['sweep leaves the reserve to events', at(100.5), 'sweep', 0, false, 20],
    ['sweep waits for the reserve plus one', at(0), 'sweep', 0, false, 4_040],
    ['nobody reads while paused', at(250, 0, 3_000), 'event', 1_000, false, 2_000],
  ])('take: %s', (_name, state, lane, now, granted, waitMs) => {
    const result = takeToken(state, config, lane, now);
    expect(result.granted).toBe(granted);
    if (result.granted) expect(result.state.tokens).toBeCloseTo(refill(state, config, now).tokens - 1, 9);
    else expect(result.waitMs).toBe(waitMs);
  });

  it.each([
    ['ARM says fewer remain: believe it', at(200), 12, 12],
    ['ARM says more remain: keep the local view', at(20), 240, 20],
    ['a nonsense value is ignored', at(20), Number.NaN, 20],
  ])('observeRemaining: %s', (_name, state, remaining, tokens) => {
    expect(observeRemaining(state, config, remaining, 0).tokens).toBe(tokens);
  });

  it('a pause empties the bucket and refill starts when it ends', () => {
    const paused = pauseUntil(at(200), config, 5_000, 0);
    expect(paused).toEqual({ tokens: 0, updatedAt: 5_000, pausedUntil: 5_000 });
    expect(refill(paused, config, 4_000).tokens).toBe(0);
    expect(refill(paused, config, 6_000).tokens).toBe(25);
    // A shorter pause does not shorten a longer one.
    expect(pauseUntil(paused, config, 2_000, 1_000)).toEqual(paused);
  });

  it.each([
    [{ capacity: 0, refillPerSecond: 25, sweepReserve: 0 }, /capacity/],
    [{ capacity: 250, refillPerSecond: 0, sweepReserve: 0 }, /refillPerSecond/],
    [{ capacity: 250, refillPerSecond: 25, sweepReserve: 250 }, /sweepReserve/],
  ])('rejects %o', (bad, message) => {
    expect(validateBudgetConfig(bad).join()).toMatch(message);
    expect(() => createReadBudget(bad)).toThrow(message);
  });

  it('starts full', () => {
    expect(fullBucket(config, 7)).toEqual({ tokens: 250, updatedAt: 7, pausedUntil: 7 });
  });
});

describe('lanes on virtual time', () => {
  it('a sweep running flat out never starves event reads', async () => {
    const clock = createVirtualClock(0);
    const budget = createReadBudget(config, clock);
    const sweepReads = 2_000;
    const eventWaits: number[] = [];
    const grants: { lane: ReadLane; at: number }[] = [];

    const sweep = (async () => {
      for (let i = 0; i < sweepReads; i += 1) {
        await budget.acquire('sweep');
        grants.push({ lane: 'sweep', at: clock.now() });
      }
    })();
    // Every 250 ms an event needs a burst of 5 reads, for the whole sweep.
    const events = (async () => {
      for (let burst = 0; burst < 300; burst += 1) {
        await clock.sleep(250);
        await Promise.all(
          Array.from({ length: 5 }, async () => {
            eventWaits.push(await budget.acquire('event'));
            grants.push({ lane: 'event', at: clock.now() });
          }),
        );
      }
    })();
    await Promise.all([sweep, events]);

    // Event reads never waited: the sweep always left them the reserve.
    expect(Math.max(...eventWaits)).toBe(0);
    // The sweep still finished, at about the refill rate once the burst above the reserve was spent.
    const sweepEnd = Math.max(...grants.filter((g) => g.lane === 'sweep').map((g) => g.at));
    const eventReadsDuringSweep = grants.filter((g) => g.lane === 'event' && g.at <= sweepEnd).length;
    const expectedMs = ((sweepReads + eventReadsDuringSweep - (config.capacity - config.sweepReserve)) / config.refillPerSecond) * 1000;
    expect(sweepEnd).toBeGreaterThan(expectedMs * 0.95);
    expect(sweepEnd).toBeLessThan(expectedMs * 1.1);
    // Never more reads in any window than the bucket allows: capacity + refill × window.
    const times = grants.map((g) => g.at).sort((a, b) => a - b);
    for (let i = 0; i < times.length; i += 50) {
      const windowEnd = (times[i] ?? 0) + 10_000;
      const inWindow = times.filter((t) => t >= (times[i] ?? 0) && t <= windowEnd).length;
      expect(inWindow).toBeLessThanOrEqual(config.capacity + 10 * config.refillPerSecond + 1);
    }
  });

  it('events beyond the bucket wait for refill, a sweep waits for the reserve', async () => {
    const clock = createVirtualClock(0);
    const budget = createReadBudget({ capacity: 10, refillPerSecond: 5, sweepReserve: 4 }, clock);
    for (let i = 0; i < 10; i += 1) expect(budget.tryAcquire('event')).toEqual({ granted: true });
    expect(await budget.acquire('event')).toBe(200);
    // The sweep needs 5 tokens in the bucket: 1 s of refill from empty.
    expect(await budget.acquire('sweep')).toBe(1_000);
  });

  it('one bucket per (subscription, identity); subscription ids are case-insensitive', () => {
    const budgets = createReadBudgets(config, createVirtualClock(0));
    const a = budgets.forKey('AAAA-1111', 'mi-1');
    expect(budgets.forKey('aaaa-1111', 'mi-1')).toBe(a);
    expect(budgets.forKey('aaaa-1111', 'mi-2')).not.toBe(a);
    expect(budgets.forKey('bbbb-2222', 'mi-1')).not.toBe(a);
    a.tryAcquire('event');
    expect(a.available()).toBe(249);
    expect(budgets.forKey('bbbb-2222', 'mi-1').available()).toBe(250);
  });
});
