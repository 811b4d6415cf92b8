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
    const last = out.length - 1;
    if (last > 0 && lo <= ops.succ(out[last] as T)) {
      if (hi > (out[last] as T)) out[last] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

export function unionIntervals<T extends Bound>(a: readonly T[], b: readonly T[], ops: BoundOps<T>): T[] {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
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
    const last = out.length - 1;
    if (last > 0 && lo <= ops.succ(out[last] as T)) {
      if (hi > (out[last] as T)) out[last] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

export function intersectIntervals<T extends Bound>(a: readonly T[], b: readonly T[]): T[] {
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

/** a \ b */
export function subtractIntervals<T extends Bound>(a: readonly T[], b: readonly T[], ops: BoundOps<T>): T[] {
  if (b.length === 0 || a.length === 0) return a.slice();
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
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ahi = a[i + 1] as T;
    const bhi = b[j + 1] as T;
    if ((a[i] as T) <= bhi && (b[j] as T) <= ahi) return true;
    if (ahi < bhi) i += 2;
    else j += 2;
  }
  return false;
}

/** Every element of a is in b. */
export function subsetIntervals<T extends Bound>(a: readonly T[], b: readonly T[]): boolean {
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    const lo = a[i] as T;
    const hi = a[i + 1] as T;
    while (j < b.length && (b[j + 1] as T) < lo) j += 2;
    if (j >= b.length || (b[j] as T) > lo || (b[j + 1] as T) < hi) return false;
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
