import { type DailyTrend, type HistoryEntry, TRANSITION_KINDS, type TransitionKind } from './types.js';

function emptyCounts(): Record<TransitionKind, number> {
  return Object.fromEntries(TRANSITION_KINDS.map((k) => [k, 0])) as Record<TransitionKind, number>;
}

/** Transitions per UTC day, oldest first; days without transitions are left out. */
export function dailyTrend(entries: readonly HistoryEntry[]): DailyTrend[] {
  const days = new Map<string, Record<TransitionKind, number>>();
  for (const entry of entries) {
    const day = entry.at.slice(0, 10);
    const counts = days.get(day) ?? emptyCounts();
    counts[entry.kind] += 1;
    days.set(day, counts);
  }
  return [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, counts]) => ({ day, counts }));
}
