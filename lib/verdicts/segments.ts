/** Elementary port segments: the ports of several sets cut where any set starts or ends. */
import { ALL_PORTS, portRanges, portSet, portUnion, type PortSet } from '../nsg/index.js';

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Groups ports by the items that cover them: each group holds the ports covered by exactly its
 * members (an item with `ports: null` covers every port). Ports no item covers are left out.
 */
export function portSegments<T>(items: readonly T[], portsOf: (item: T) => PortSet | null): { ports: PortSet; members: T[] }[] {
  const bounds = new Set<number>();
  const ranges = items.map((item) => portRanges(portsOf(item) ?? ALL_PORTS));
  for (const list of ranges) for (const r of list) bounds.add(r.from).add(r.to + 1);
  const cuts = [...bounds].sort((a, b) => a - b);
  const members: number[][] = cuts.map(() => []);
  ranges.forEach((list, index) => {
    for (const r of list) {
      for (let i = lowerBound(cuts, r.from); i < cuts.length - 1 && (cuts[i] as number) <= r.to; i++) members[i]?.push(index);
    }
  });
  const groups = new Map<string, { ports: PortSet; members: T[] }>();
  for (let i = 0; i < cuts.length - 1; i++) {
    const list = members[i] ?? [];
    if (list.length === 0) continue;
    const key = list.join(',');
    const range = portSet([[cuts[i] as number, (cuts[i + 1] as number) - 1]]);
    const group = groups.get(key);
    if (group) group.ports = portUnion(group.ports, range);
    else groups.set(key, { ports: range, members: list.map((m) => items[m] as T) });
  }
  return [...groups.values()];
}
