/**
 * Exact interval-set algebra over numbers (IPv4, ports) and bigints (IPv6). A set is a flat array
 * `[lo0, hi0, lo1, hi1, ...]` of inclusive bounds, sorted, disjoint and non-adjacent, so equal sets
 * have equal arrays.
 */

export type Bound = number | bigint;

/** Successor of a bound; the only arithmetic the algebra needs. */
export interface BoundOps<T extends Bound> {
  readonly succ: (x: T) => T;
  readonly pred: (x: T) => T;
  readonly add: (a: T, b: T) => T;
  readonly size: (lo: T, hi: T) => T;
  readonly zero: T;
}

export const NUMBER_OPS: BoundOps<number> = {
  succ: (x) => x + 1,
  pred: (x) => x - 1,
  add: (a, b) => a + b,
  size: (lo, hi) => hi - lo + 1,
  zero: 0,
};

export const BIGINT_OPS: BoundOps<bigint> = {
  succ: (x) => x + 1n,
  pred: (x) => x - 1n,
  add: (a, b) => a + b,
  size: (lo, hi) => hi - lo + 1n,
  zero: 0n,
};

/** Sorts and merges arbitrary (possibly overlapping) pairs into canonical form. */
export function normalizeIntervals<T extends Bound>(pairs: readonly T[], ops: BoundOps<T>): T[] {
  const count = pairs.length >> 1;
  if (count === 0) return [];
  const order: number[] = [];
  for (let i = 0; i < count; i++) order.push(i);
  order.sort((x, y) => {
    const a = pairs[2 * x] as T;
    const b = pairs[2 * y] as T;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const out: T[] = [];
  for (const i of order) {
    const lo = pairs[2 * i] as T;
    const hi = pairs[2 * i + 1] as T;
    appendMerged(out, lo, hi, ops);
  }
  return out;
}

/** Appends [lo, hi] to a sorted interval list, merging it into the last interval it overlaps or touches. */
function appendMerged<T extends Bound>(out: T[], lo: T, hi: T, ops: BoundOps<T>): void {
  const last = out.length - 1;
  if (last > 0 && lo <= ops.succ(out[last] as T)) {
    if (hi > (out[last] as T)) out[last] = hi;
  } else {
    out.push(lo, hi);
  }
}

/** Sets are immutable, so results may share an operand's array. */
export function unionIntervals<T extends Bound>(a: readonly T[], b: readonly T[], ops: BoundOps<T>): readonly T[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let lo: T;
    let hi: T;
    if (j >= b.length || (i < a.length && (a[i] as T) <= (b[j] as T))) {
      lo = a[i] as T;
      hi = a[i + 1] as T;
      i += 2;
    } else {
      lo = b[j] as T;
      hi = b[j + 1] as T;
      j += 2;
    }
    appendMerged(out, lo, hi, ops);
  }
  return out;
}

/** Index (even) of the first interval of `set` whose upper bound is >= x, from `from` on. */
function seek<T extends Bound>(set: readonly T[], x: T, from: number): number {
  let lo = from >> 1;
  let hi = set.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((set[2 * mid + 1] as T) < x) lo = mid + 1;
    else hi = mid;
  }
  return 2 * lo;
}

// Past this size ratio, walking the small set and binary-searching the large one wins.
const GALLOP_RATIO = 16;

export function intersectIntervals<T extends Bound>(a: readonly T[], b: readonly T[]): readonly T[] {
  // An empty operand is the answer (sets are immutable, so it may be shared).
  if (a.length === 0) return a;
  if (b.length === 0) return b;
  // One interval spanning the other set entirely: the other set is the answer.
  if (b.length === 2 && (b[0] as T) <= (a[0] as T) && (b[1] as T) >= (a[a.length - 1] as T)) return a;
  if (a.length === 2 && (a[0] as T) <= (b[0] as T) && (a[1] as T) >= (b[b.length - 1] as T)) return b;
  if (a.length * GALLOP_RATIO < b.length) return intersectSmallLarge(a, b);
  if (b.length * GALLOP_RATIO < a.length) return intersectSmallLarge(b, a);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const alo = a[i] as T;
    const ahi = a[i + 1] as T;
    const blo = b[j] as T;
    const bhi = b[j + 1] as T;
    const lo = alo > blo ? alo : blo;
    const hi = ahi < bhi ? ahi : bhi;
    if (lo <= hi) out.push(lo, hi);
    if (ahi < bhi) i += 2;
    else j += 2;
  }
  return out;
}

function intersectSmallLarge<T extends Bound>(small: readonly T[], large: readonly T[]): T[] {
  const out: T[] = [];
  let j = 0;
  for (let i = 0; i < small.length; i += 2) {
    const slo = small[i] as T;
    const shi = small[i + 1] as T;
    j = seek(large, slo, j);
    for (let k = j; k < large.length && (large[k] as T) <= shi; k += 2) {
      const llo = large[k] as T;
      const lhi = large[k + 1] as T;
      out.push(llo > slo ? llo : slo, lhi < shi ? lhi : shi);
    }
  }
  return out;
}

/** a \ b */
export function subtractIntervals<T extends Bound>(a: readonly T[], b: readonly T[], ops: BoundOps<T>): readonly T[] {
  if (b.length === 0 || a.length === 0) return a;
  const out: T[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let lo = a[i] as T;
    const hi = a[i + 1] as T;
    while (j < b.length && (b[j + 1] as T) < lo) j += 2;
    let k = j;
    let done = false;
    while (k < b.length && (b[k] as T) <= hi) {
      const blo = b[k] as T;
      const bhi = b[k + 1] as T;
      if (blo > lo) out.push(lo, ops.pred(blo));
      if (bhi >= hi) {
        done = true;
        break;
      }
      lo = ops.succ(bhi);
      k += 2;
    }
    if (!done) out.push(lo, hi);
  }
  return out;
}

export function overlapIntervals<T extends Bound>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  if ((a[0] as T) > (b[b.length - 1] as T) || (b[0] as T) > (a[a.length - 1] as T)) return false;
  // One single interval: a binary search in the other set settles it.
  if (a.length === 2 || b.length === 2) return a.length === 2 ? overlapsOne(b, a[0] as T, a[1] as T) : overlapsOne(a, b[0] as T, b[1] as T);
  if (a.length * GALLOP_RATIO >= b.length && b.length * GALLOP_RATIO >= a.length) {
    // Sizes alike (port lists, a few prefixes): one merge pass beats a binary search per interval.
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      if ((a[i + 1] as T) < (b[j] as T)) i += 2;
      else if ((b[j + 1] as T) < (a[i] as T)) j += 2;
      else return true;
    }
    return false;
  }
  const small = a.length <= b.length ? a : b;
  const large = small === a ? b : a;
  let j = 0;
  for (let i = 0; i < small.length; i += 2) {
    j = seek(large, small[i] as T, j);
    if (j >= large.length) return false;
    if ((large[j] as T) <= (small[i + 1] as T)) return true;
  }
  return false;
}

/** `set` meets [lo, hi], their hulls meeting: the first interval ending at or after lo starts at or before hi. */
function overlapsOne<T extends Bound>(set: readonly T[], lo: T, hi: T): boolean {
  // The hulls meet, so an end of `set` inside [lo, hi] settles it without a search.
  if ((set[0] as T) >= lo || (set[set.length - 1] as T) <= hi) return true;
  const j = seek(set, lo, 0);
  return j < set.length && (set[j] as T) <= hi;
}

/** Every element of a is in b. */
export function subsetIntervals<T extends Bound>(a: readonly T[], b: readonly T[]): boolean {
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    const lo = a[i] as T;
    j = seek(b, lo, j);
    if (j >= b.length || (b[j] as T) > lo || (b[j + 1] as T) < (a[i + 1] as T)) return false;
  }
  return true;
}

export function containsPoint<T extends Bound>(set: readonly T[], x: T): boolean {
  let lo = 0;
  let hi = (set.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (x < (set[2 * mid] as T)) hi = mid - 1;
    else if (x > (set[2 * mid + 1] as T)) lo = mid + 1;
    else return true;
  }
  return false;
}

export function equalIntervals<T extends Bound>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sizeIntervals<T extends Bound>(set: readonly T[], ops: BoundOps<T>): T {
  let total = ops.zero;
  for (let i = 0; i < set.length; i += 2) {
    total = ops.add(total, ops.size(set[i] as T, set[i + 1] as T));
  }
  return total;
}
