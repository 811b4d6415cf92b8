import { describe, expect, it } from 'vitest';
import { dailyTrend, type HistoryEntry, type TransitionKind } from '../../lib/store/index.js';

function entry(at: string, kind: TransitionKind): HistoryEntry {
  return { id: `${at}${kind}`, findingId: 'f', kind, status: 'open', at, ruleId: 'NSG-001', severity: 'high', resourceId: '/x' };
}

describe('dailyTrend', () => {
  it('counts transitions per UTC day, oldest first, skipping empty days', () => {
    const trend = dailyTrend([
      entry('2025-04-03T00:00:00.000Z', 'resolved'),
      entry('2025-04-01T23:59:59.999Z', 'opened'),
      entry('2025-04-01T00:00:00.000Z', 'opened'),
      entry('2025-04-03T12:00:00.000Z', 'suppressionExpired'),
    ]);
    expect(trend.map((d) => [d.day, d.counts.opened, d.counts.resolved, d.counts.suppressionExpired])).toEqual([
      ['2025-04-01', 2, 0, 0],
      ['2025-04-03', 0, 1, 1],
    ]);
    expect(dailyTrend([])).toEqual([]);
  });
});
