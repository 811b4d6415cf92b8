/**
 * The exact first-match partition at the heart of every analysis. A box of flows is a product of
 * four sets — remote address, local address, source port, destination port — and a rule matches a
 * box of its own. Coordinates are compressed per analysis (every boundary of every set becomes an
 * index), then the box is split dimension by dimension into classes of elementary segments whose
 * covering rules are equal (ports, then local address), and within each class the remote addresses
 * are painted by the rules in priority order, each element by the first rule that covers it.
 * Two prunings keep this fast: a class drops every rule after the first one covering the whole
 * class, and painting stops once every element is painted.
 */
import type { AddressSet, PortSet } from './types.js';
import { tagContains } from './addresses.js';
import { NUMBER_OPS, intersectIntervals, subtractIntervals } from './intervals.js';

/** An index set: sorted disjoint non-adjacent inclusive ranges of elementary indices, flattened. */
export type IdxSet = number[];

/** Compressed coordinates of one dimension. */
export interface Axis<S> {
  readonly size: number;
  toIdx(set: S): IdxSet;
  fromIdx(idx: readonly number[]): S;
}

function mergeAdjacent(pairs: number[]): IdxSet {
  const out: number[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const lo = pairs[i] as number;
    const hi = pairs[i + 1] as number;
    const last = out.length - 1;
    if (last > 0 && lo <= (out[last] as number) + 1) {
      if (hi > (out[last] as number)) out[last] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

/** Sorts `values` in place (small lists) or through a typed array, then drops duplicates. */
function uniqueSortedNumbers(values: number[]): number[] {
  // An insertion sort beats allocating and sorting a typed array for the few bounds most axes have.
  const sorted: ArrayLike<number> = values.length > 48 ? Float64Array.from(values).sort() : insertionSort(values);
  const out: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i] as number;
    if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  }
  return out;
}

function insertionSort(values: number[]): number[] {
  for (let i = 1; i < values.length; i++) {
    const v = values[i] as number;
    let j = i - 1;
    while (j >= 0 && (values[j] as number) > v) {
      values[j + 1] = values[j] as number;
      j--;
    }
    values[j + 1] = v;
  }
  return values;
}

function uniqueSortedBigints(values: bigint[]): bigint[] {
  values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: bigint[] = [];
  for (const v of values) if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  return out;
}

/** Address coordinates: IPv4 elementary intervals, then IPv6, then one index per tag atom. */
export function addressAxis(sets: readonly AddressSet[], atoms: readonly string[]): Axis<AddressSet> {
  const raw4: number[] = [0, 2 ** 32];
  const raw6: bigint[] = [0n, 1n << 128n];
  for (const set of sets) {
    for (let i = 0; i < set.v4.length; i += 2) raw4.push(set.v4[i] as number, (set.v4[i + 1] as number) + 1);
    for (let i = 0; i < set.v6.length; i += 2) raw6.push(set.v6[i] as bigint, (set.v6[i + 1] as bigint) + 1n);
  }
  const p4 = uniqueSortedNumbers(raw4);
  const p6 = uniqueSortedBigints(raw6);
  const m4 = new Map<number, number>();
  p4.forEach((v, i) => m4.set(v, i));
  const m6 = new Map<bigint, number>();
  p6.forEach((v, i) => m6.set(v, i));
  const n4 = p4.length - 1;
  const n6 = p6.length - 1;
  const base = n4 + n6;
  return {
    size: base + atoms.length,
    toIdx(set) {
      const out: number[] = [];
      for (let i = 0; i < set.v4.length; i += 2) {
        out.push(m4.get(set.v4[i] as number) as number, (m4.get((set.v4[i + 1] as number) + 1) as number) - 1);
      }
      for (let i = 0; i < set.v6.length; i += 2) {
        out.push(n4 + (m6.get(set.v6[i] as bigint) as number), n4 + (m6.get((set.v6[i + 1] as bigint) + 1n) as number) - 1);
      }
      for (let k = 0; k < atoms.length; k++) {
        if (tagContains(set.tags, atoms[k] as string)) out.push(base + k, base + k);
      }
      return mergeAdjacent(out);
    },
    fromIdx(idx) {
      const v4: number[] = [];
      const v6: bigint[] = [];
      const names: string[] = [];
      for (let i = 0; i < idx.length; i += 2) {
        const a = idx[i] as number;
        const b = idx[i + 1] as number;
        if (a < n4) {
          const hi = Math.min(b, n4 - 1);
          const lo4 = p4[a] as number;
          const hi4 = (p4[hi + 1] as number) - 1;
          if (v4.length > 0 && (v4[v4.length - 1] as number) + 1 === lo4) v4[v4.length - 1] = hi4;
          else v4.push(lo4, hi4);
        }
        const a6 = Math.max(a, n4);
        const b6 = Math.min(b, base - 1);
        if (a6 <= b6) {
          const lo6 = p6[a6 - n4] as bigint;
          const hi6 = (p6[b6 - n4 + 1] as bigint) - 1n;
          if (v6.length > 0 && (v6[v6.length - 1] as bigint) + 1n === lo6) v6[v6.length - 1] = hi6;
          else v6.push(lo6, hi6);
        }
        for (let k = Math.max(a, base); k <= b; k++) names.push(atoms[k - base] as string);
      }
      return { v4, v6, tags: { complement: false, names } };
    },
  };
}

/** Port coordinates. */
export function portAxis(sets: readonly PortSet[]): Axis<PortSet> {
  const raw: number[] = [0, 65536];
  for (const set of sets) for (let i = 0; i < set.length; i += 2) raw.push(set[i] as number, (set[i + 1] as number) + 1);
  const points = uniqueSortedNumbers(raw);
  const index = new Map<number, number>();
  points.forEach((v, i) => index.set(v, i));
  return {
    size: points.length - 1,
    toIdx(set) {
      const out: number[] = [];
      for (let i = 0; i < set.length; i += 2) {
        out.push(index.get(set[i] as number) as number, (index.get((set[i + 1] as number) + 1) as number) - 1);
      }
      return mergeAdjacent(out);
    },
    fromIdx(idx) {
      const out: number[] = [];
      for (let i = 0; i < idx.length; i += 2) {
        const lo = points[idx[i] as number] as number;
        const hi = (points[(idx[i + 1] as number) + 1] as number) - 1;
        if (out.length > 0 && (out[out.length - 1] as number) + 1 === lo) out[out.length - 1] = hi;
        else out.push(lo, hi);
      }
      return out;
    },
  };
}

/** Dimensions of a box. */
export const REMOTE = 0;
export const LOCAL = 1;
export const SOURCE_PORT = 2;
export const DESTINATION_PORT = 3;
/** Split order; the remote dimension is painted last. */
const GROUP_DIMS = [DESTINATION_PORT, SOURCE_PORT, LOCAL] as const;

export type Box = readonly [IdxSet, IdxSet, IdxSet, IdxSet];

export interface CorePart {
  /** Index of the deciding rule in the rule list. */
  readonly rule: number;
  readonly box: Box;
}

export interface CoreResult {
  readonly parts: CorePart[];
  /** In target mode: the first part the target rule decides. */
  readonly hit: CorePart | undefined;
  /** Rules that decide at least one element of the box. */
  readonly painters: Set<number>;
}

function isSubset(a: readonly number[], b: readonly number[]): boolean {
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    const lo = a[i] as number;
    const hi = a[i + 1] as number;
    while (j < b.length && (b[j + 1] as number) < lo) j += 2;
    if (j >= b.length || (b[j] as number) > lo || (b[j + 1] as number) < hi) return false;
  }
  return true;
}

// Deterministic Zobrist keys: a class is keyed by the XOR of its covering rules' keys.
const KEY_BITS = 21;
const KEY_MASK = (1 << KEY_BITS) - 1;
const START_FLAG = 2 ** KEY_BITS;
const POS_FACTOR = 2 ** (KEY_BITS + 1);
let zobristA = new Int32Array(0);
let zobristB = new Int32Array(0);

function ensureKeys(n: number): void {
  if (zobristA.length >= n) return;
  const size = Math.max(n, zobristA.length * 2, 1024);
  const a = new Int32Array(size);
  const b = new Int32Array(size);
  let s = 0x9e3779b9 | 0;
  const next = (): number => {
    // xorshift32: fixed seed, so runs are reproducible.
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s | 0;
  };
  for (let i = 0; i < size; i++) {
    a[i] = next();
    b[i] = next();
  }
  zobristA = a;
  zobristB = b;
}

interface Group {
  readonly list: number[];
  readonly set: number[];
}

/** The rule holds every flow of `current` in the remote dimension and the dimensions from `level` on. */
function coversRemaining(rule: Box, current: Box, level: number): boolean {
  if (!isSubset(current[REMOTE], rule[REMOTE])) return false;
  for (let l = level; l < GROUP_DIMS.length; l++) {
    const d = GROUP_DIMS[l] as number;
    if (!isSubset(current[d] as IdxSet, rule[d] as IdxSet)) return false;
  }
  return true;
}

/**
 * Splits `domain` (dimension d) into classes of elementary segments covered by the same rules of
 * `list`, in order of first segment; `active` is scratch space, all zero on entry and on return.
 */
function sweep(rules: readonly Box[], active: Uint8Array, list: readonly number[], domain: IdxSet, d: number): Group[] {
  const groups: Group[] = [];
  if (domain.length === 0) return groups;
  const dMin = domain[0] as number;
  const dMax = domain[domain.length - 1] as number;
  const events: number[] = [];
  for (const r of list) {
    const set = (rules[r] as Box)[d] as IdxSet;
    for (let i = 0; i < set.length; i += 2) {
      const lo = set[i] as number;
      const hi = set[i + 1] as number;
      if (hi < dMin || lo > dMax) continue;
      events.push(lo * POS_FACTOR + START_FLAG + r, (hi + 1) * POS_FACTOR + r);
    }
  }
  const sorted = Float64Array.from(events).sort();
  const byKey = new Map<number, Group[]>();
  let hA = 0;
  let hB = 0;
  let count = 0;
  let e = 0;
  // The covering rules, kept sorted (= priority order) so a new class copies them directly.
  const covering: number[] = [];
  for (let i = 0; i < domain.length; i += 2) {
    const xa = domain[i] as number;
    const xb = domain[i + 1] as number;
    let cur = xa;
    for (;;) {
      // Apply every event at or before cur.
      while (e < sorted.length && Math.floor((sorted[e] as number) / POS_FACTOR) <= cur) {
        const ev = sorted[e++] as number;
        const r = ev % START_FLAG;
        const start = ev % POS_FACTOR >= START_FLAG;
        active[r] = start ? 1 : 0;
        count += start ? 1 : -1;
        hA ^= zobristA[r] as number;
        hB ^= zobristB[r] as number;
        let lo = 0;
        let hi = covering.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((covering[mid] as number) < r) lo = mid + 1;
          else hi = mid;
        }
        if (start) covering.splice(lo, 0, r);
        else covering.splice(lo, 1);
      }
      const nextEvent = e < sorted.length ? Math.floor((sorted[e] as number) / POS_FACTOR) : Infinity;
      const next = Math.min(nextEvent, xb + 1);
      if (count > 0) {
        // The segment [cur, next - 1] joins the class of its covering rules.
        const key = (hA >>> 0) * (KEY_MASK + 1) + (hB & KEY_MASK);
        let bucket = byKey.get(key);
        let group: Group | undefined;
        if (bucket) {
          for (const g of bucket) {
            if (g.list.length !== count) continue;
            let same = true;
            for (const r of g.list) {
              if (active[r] !== 1) {
                same = false;
                break;
              }
            }
            if (same) {
              group = g;
              break;
            }
          }
        } else {
          bucket = [];
          byKey.set(key, bucket);
        }
        if (!group) {
          group = { list: covering.slice(), set: [] };
          bucket.push(group);
          groups.push(group);
        }
        const set = group.set;
        if (set.length > 0 && (set[set.length - 1] as number) + 1 === cur) set[set.length - 1] = next - 1;
        else set.push(cur, next - 1);
      }
      cur = next;
      if (cur > xb) break;
    }
  }
  for (const r of list) active[r] = 0;
  return groups;
}

/**
 * Partitions `box` by first match over `rules` (each a box, in priority order). With `target`,
 * stops at the first element the target rule decides. `collect` false skips building parts.
 */
export function partitionBox(
  rules: readonly Box[],
  box: Box,
  options: { target?: number; collect?: boolean; keep?: (rule: number) => boolean } = {},
): CoreResult {
  const n = rules.length;
  const keep = options.keep;
  if (n >= 1 << KEY_BITS) throw new RangeError('too many rules for one partition');
  ensureKeys(n);
  const target = options.target;
  const collect = options.collect ?? true;
  const parts: CorePart[] = [];
  const painters = new Set<number>();
  const active = new Uint8Array(n);
  let hit: CorePart | undefined;
  let stop = false;

  // The remote addresses still undecided shrink rule by rule; ranges, not elements, so a class
  // costs what its rules' range counts cost, whatever the size of the address space.
  const paint = (list: readonly number[], current: Box): void => {
    let remaining: readonly number[] = current[REMOTE];
    for (const r of list) {
      if (remaining.length === 0) break;
      const decided = intersectIntervals(remaining, (rules[r] as Box)[REMOTE]);
      if (decided.length === 0) continue;
      painters.add(r);
      const part: CorePart = { rule: r, box: [decided as IdxSet, current[LOCAL], current[SOURCE_PORT], current[DESTINATION_PORT]] };
      if (r === target) {
        hit = part;
        stop = true;
        return;
      }
      if (collect && (!keep || keep(r))) parts.push(part);
      remaining = subtractIntervals(remaining, decided, NUMBER_OPS);
    }
  };

  const recurse = (level: number, list: readonly number[], current: Box): void => {
    if (stop) return;
    let cut = list.length;
    for (let p = 0; p < list.length; p++) {
      if (coversRemaining(rules[list[p] as number] as Box, current, level)) {
        cut = p + 1;
        break;
      }
    }
    const kept = cut < list.length ? list.slice(0, cut) : list;
    if (target !== undefined && !kept.includes(target)) return;
    if (level === GROUP_DIMS.length) {
      paint(kept, current);
      return;
    }
    const d = GROUP_DIMS[level] as number;
    for (const group of sweep(rules, active, kept, current[d] as IdxSet, d)) {
      const next = [...current] as [IdxSet, IdxSet, IdxSet, IdxSet];
      next[d] = group.set;
      recurse(level + 1, group.list, next);
      if (stop) return;
    }
  };

  if (box.every((s) => s.length > 0)) {
    const all: number[] = [];
    for (let r = 0; r < n; r++) all.push(r);
    recurse(0, all, box);
  }
  return { parts, hit, painters };
}

function unionAll(sets: readonly IdxSet[]): IdxSet {
  let total = 0;
  for (const set of sets) total += set.length >> 1;
  // Pack each range into one number so a native numeric sort orders them (indices stay < 2^26).
  const packed = new Float64Array(total);
  let k = 0;
  for (const set of sets) {
    for (let i = 0; i < set.length; i += 2) {
      if ((set[i + 1] as number) >= PACK) return sets.reduce<IdxSet>((acc, s) => mergeAdjacent(sortPairs([...acc, ...s])), []);
      packed[k++] = (set[i] as number) * PACK + (set[i + 1] as number);
    }
  }
  packed.sort();
  const pairs: number[] = [];
  for (const value of packed) {
    const lo = Math.floor(value / PACK);
    pairs.push(lo, value - lo * PACK);
  }
  return mergeAdjacent(pairs);
}

const PACK = 2 ** 26;

function sortPairs(flat: readonly number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i] as number, flat[i + 1] as number]);
  return pairs.sort((a, b) => a[0] - b[0]).flat();
}

/** A content hash of an index set (collisions are settled by comparing contents). */
function hashIdx(set: readonly number[]): number {
  let h = 0x811c9dc5 ^ set.length;
  for (let i = 0; i < set.length; i++) h = Math.imul(h ^ (set[i] as number), 0x01000193);
  return h >>> 0;
}

function sameIdx(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Joins parts decided by the same rule that differ in one dimension only, so a region split finely
 * on one side (many local classes with the same verdict) comes back as few parts.
 */
export function mergeParts(parts: readonly CorePart[]): CorePart[] {
  let current = parts.map((p) => ({ rule: p.rule, box: [...p.box] as [IdxSet, IdxSet, IdxSet, IdxSet] }));
  for (const dim of [LOCAL, DESTINATION_PORT]) {
    const byKey = new Map<string, { rule: number; box: [IdxSet, IdxSet, IdxSet, IdxSet] }[]>();
    const merged: { rule: number; box: [IdxSet, IdxSet, IdxSet, IdxSet] }[] = [];
    const pending = new Map<{ rule: number; box: [IdxSet, IdxSet, IdxSet, IdxSet] }, IdxSet[]>();
    for (const part of current) {
      const key = `${part.rule}|${part.box.map((set, d) => (d === dim ? 0 : hashIdx(set))).join('|')}`;
      let bucket = byKey.get(key);
      if (!bucket) {
        bucket = [];
        byKey.set(key, bucket);
      }
      const same = bucket.find((other) => other.box.every((set, d) => d === dim || sameIdx(set, part.box[d] as IdxSet)));
      if (same) {
        (pending.get(same) as IdxSet[]).push(part.box[dim] as IdxSet);
      } else {
        bucket.push(part);
        merged.push(part);
        pending.set(part, [part.box[dim] as IdxSet]);
      }
    }
    // One sort per merged part: unions taken one at a time would be quadratic.
    for (const part of merged) {
      const sets = pending.get(part) as IdxSet[];
      if (sets.length > 1) part.box[dim] = unionAll(sets);
    }
    current = merged;
  }
  return current;
}
