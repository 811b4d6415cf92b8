import { describe, expect, it } from 'vitest';
import { DEFAULT_READ_BUDGET } from '../../lib/azure/budget.js';
import { SETTINGS } from '../../lib/config/names.js';
import { readBudgetShare } from '../../lib/runtime/azure.js';

describe('each instance takes its share of the ARM read budget', () => {
  it('takes the whole budget in a single process', () => {
    expect(readBudgetShare({})).toEqual({ ok: true, budget: DEFAULT_READ_BUDGET });
  });

  it('splits bucket, refill and sweep reserve across the plan\'s maximum instance count', () => {
    const share = readBudgetShare({ [SETTINGS.maxInstances]: '40' });
    expect(share).toEqual({ ok: true, budget: { capacity: 6.25, refillPerSecond: 0.625, sweepReserve: 2.5 } });
    if (!share.ok) return;
    // Forty instances together never exceed what ARM grants one identity on one subscription.
    expect(share.budget.capacity * 40).toBe(DEFAULT_READ_BUDGET.capacity);
    expect(share.budget.refillPerSecond * 40).toBe(DEFAULT_READ_BUDGET.refillPerSecond);
  });

  it('keeps a bucket of at least one read, and the reserve below it', () => {
    const share = readBudgetShare({ [SETTINGS.maxInstances]: '1000' });
    expect(share.ok && share.budget.capacity).toBe(1);
    expect(share.ok && share.budget.sweepReserve).toBeLessThan(1);
  });

  it.each(['0', '-3', 'forty', '1.5'])('refuses %s as an instance count', (raw) => {
    const share = readBudgetShare({ [SETTINGS.maxInstances]: raw });
    expect(share.ok).toBe(false);
    expect(!share.ok && share.error).toContain(SETTINGS.maxInstances);
  });
});
