import { describe, expect, it } from 'vitest';
import { transitionTrend } from '../../lib/api/index.js';
import type { HistoryEntry, TransitionKind } from '../../lib/store/index.js';

function entry(at: string, kind: TransitionKind): HistoryEntry {
  return { id: `${at}-${kind}`, findingId: 'f', kind, status: kind === 'resolved' ? 'resolved' : 'open', at, ruleId: 'NSG-002', severity: 'high', resourceId: '/subscriptions/s/x' };
}

describe('transitionTrend', () => {
  const cases: { name: string; entries: HistoryEntry[]; openNow: number; bucketSeconds: number; opened: number[]; resolved: number[]; open: number[] }[] = [
    { name: 'no history', entries: [], openNow: 0, bucketSeconds: 86_400, opened: [], resolved: [], open: [] },
    {
      name: 'a demo of a few seconds gets one-second buckets',
      entries: [entry('2026-01-01T10:00:00.100Z', 'opened'), entry('2026-01-01T10:00:00.200Z', 'opened'), entry('2026-01-01T10:00:02.500Z', 'resolved')],
      openNow: 1,
      bucketSeconds: 1,
      opened: [2, 0, 0],
      resolved: [0, 0, 1],
      open: [2, 2, 1],
    },
    {
      name: 'a month gets daily buckets; the open count walks back from today',
      entries: [entry('2026-01-01T10:00:00Z', 'opened'), entry('2026-01-31T09:00:00Z', 'suppressed'), entry('2026-01-31T10:00:00Z', 'suppressionExpired')],
      openNow: 5,
      bucketSeconds: 86_400,
      opened: [1, ...Array<number>(30).fill(0)],
      resolved: Array<number>(31).fill(0),
      open: [5, ...Array<number>(29).fill(5), 5],
    },
    {
      name: 'two hours get five-minute buckets',
      entries: [entry('2026-01-01T10:00:00Z', 'opened'), entry('2026-01-01T12:00:00Z', 'reopened')],
      openNow: 2,
      bucketSeconds: 300,
      opened: [1, ...Array<number>(23).fill(0), 0],
      resolved: Array<number>(25).fill(0),
      open: [1, ...Array<number>(23).fill(1), 2],
    },
  ];
  it.each(cases)('$name', ({ entries, openNow, bucketSeconds, opened, resolved, open }) => {
    const trend = transitionTrend(entries, openNow);
    expect(trend.bucketSeconds).toBe(bucketSeconds);
    expect(trend.points.map((p) => p.counts.opened)).toEqual(opened);
    expect(trend.points.map((p) => p.counts.resolved)).toEqual(resolved);
    expect(trend.points.map((p) => p.open)).toEqual(open);
  });
});
