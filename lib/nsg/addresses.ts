/**
 * Exact address sets: IPv4 and IPv6 interval sets plus symbolic atoms for service tags that
 * have no address data (DESIGN §3). Parsing of IP literals and CIDR prefixes, set algebra,
 * counting, sampling and display.
 */
import { boundedText } from './describe-value.js';
import ipaddr from 'ipaddr.js';
import type { AddressCount, AddressSet, TagSet } from './types.js';
import {
  BIGINT_OPS,
  NUMBER_OPS,
  containsPoint,
  equalIntervals,
  intersectIntervals,
  normalizeIntervals,
  overlapIntervals,
  sizeIntervals,
  subsetIntervals,
  subtractIntervals,
  unionIntervals,
} from './intervals.js';

/** The highest IPv4 address as a number. */
export const V4_MAX = 0xffffffff;
/** The highest IPv6 address as a bigint. */
export const V6_MAX = (1n << 128n) - 1n;

const NO_TAGS: TagSet = Object.freeze({ complement: false, names: Object.freeze([]) });
const ALL_TAGS: TagSet = Object.freeze({ complement: true, names: Object.freeze([]) });

/** The empty set. */
export const NO_ADDRESS: AddressSet = Object.freeze({ v4: Object.freeze([]), v6: Object.freeze([]), tags: NO_TAGS });
/** `*` / Any: every IPv4 and IPv6 address and every unresolved service tag. */
export const ANY_ADDRESS: AddressSet = Object.freeze({
  v4: Object.freeze([0, V4_MAX]),
  v6: Object.freeze([0n, V6_MAX]),
  tags: ALL_TAGS,
});
/** Every IPv4 address (`0.0.0.0/0`). */
export const ALL_IPV4: AddressSet = Object.freeze({ v4: Object.freeze([0, V4_MAX]), v6: Object.freeze([]), tags: NO_TAGS });
/** Every IPv6 address (`::/0`). */
export const ALL_IPV6: AddressSet = Object.freeze({ v4: Object.freeze([]), v6: Object.freeze([0n, V6_MAX]), tags: NO_TAGS });
/** Every unresolved tag and no concrete address. */
export const ALL_TAG_ATOMS: AddressSet = Object.freeze({ v4: Object.freeze([]), v6: Object.freeze([]), tags: ALL_TAGS });

/** A parsed IP literal. */
export type Ip = { readonly family: 4; readonly value: number } | { readonly family: 6; readonly value: bigint };

const V4_LITERAL = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(text: string): number | undefined {
  const m = V4_LITERAL.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = m[i] as string;
    // Leading zeros are ambiguous (octal in some parsers): not an address we would guess at.
    if (octet.length > 1 && octet.startsWith('0')) return undefined;
    const n = Number(octet);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
  let value = 0n;
  for (const part of ipaddr.IPv6.parse(text).parts) value = (value << 16n) | BigInt(part);
  return value;
}

/** Parses an IPv4 (dotted decimal) or IPv6 literal. */
export function parseIp(text: string): Ip | undefined {
  const trimmed = text.trim();
  const v4 = parseV4(trimmed);
  if (v4 !== undefined) return { family: 4, value: v4 };
  if (!trimmed.includes(':')) return undefined;
  const v6 = parseV6(trimmed);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** An IP as text (IPv6 in RFC 5952 form). */
export function formatIp(ip: Ip): string {
  if (ip.family === 4) return formatV4(ip.value);
  return formatV6(ip.value);
}

/** An IPv4 number as dotted decimal. */
export function formatV4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** An IPv6 bigint in RFC 5952 form. */
export function formatV6(value: bigint): string {
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((value >> shift) & 0xffffn));
  return new ipaddr.IPv6(parts).toRFC5952String();
}

export type PrefixParseResult =
  | { ok: true; set: AddressSet; family: 4 | 6; hostBitsSet: boolean }
  | { ok: false; message: string };

/**
 * Parses an IP literal or CIDR prefix (`10.0.0.0/8`, `2001:db8::/32`, `1.2.3.4`). A prefix with
 * host bits set (`10.0.0.5/24`) is read as its network, with `hostBitsSet` so callers can warn.
 */
export function parseAddressPrefix(text: string): PrefixParseResult {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const lengthText = slash < 0 ? undefined : trimmed.slice(slash + 1);
  const ip = parseIp(addressText);
  if (!ip) return { ok: false, message: `'${boundedText(trimmed)}' is not an IPv4 or IPv6 address or CIDR prefix` };
  const maxLength = ip.family === 4 ? 32 : 128;
  let length = maxLength;
  if (lengthText !== undefined) {
    // Plain decimal, no leading zeros: Azure refuses 0.0.0.0/00 and 10.0.0.0/024.
    if (!/^(0|[1-9]\d{0,2})$/.test(lengthText) || Number(lengthText) > maxLength) {
      return { ok: false, message: `'${boundedText(trimmed)}' has an invalid prefix length (0-${maxLength})` };
    }
    length = Number(lengthText);
  }
  if (ip.family === 4) {
    const hostBits = 32 - length;
    const size = 2 ** hostBits;
    const lo = Math.floor(ip.value / size) * size;
    return { ok: true, family: 4, hostBitsSet: lo !== ip.value, set: v4Set([lo, lo + size - 1]) };
  }
  const hostBits = BigInt(128 - length);
  const lo = (ip.value >> hostBits) << hostBits;
  const hi = lo + (1n << hostBits) - 1n;
  return { ok: true, family: 6, hostBitsSet: lo !== ip.value, set: v6Set([lo, hi]) };
}

function v4Set(v4: number[]): AddressSet {
  return { v4, v6: [], tags: NO_TAGS };
}

function v6Set(v6: bigint[]): AddressSet {
  return { v4: [], v6, tags: NO_TAGS };
}

/** The set of the given prefixes/IPs; entries that do not parse are returned in `invalid`. */
export function addressesFromPrefixes(prefixes: readonly string[]): { set: AddressSet; invalid: string[] } {
  const v4: number[] = [];
  const v6: bigint[] = [];
  const invalid: string[] = [];
  for (const prefix of prefixes) {
    const parsed = parseAddressPrefix(prefix);
    if (!parsed.ok) {
      invalid.push(prefix);
      continue;
    }
    v4.push(...parsed.set.v4);
    v6.push(...parsed.set.v6);
  }
  return {
    set: { v4: normalizeIntervals(v4, NUMBER_OPS), v6: normalizeIntervals(v6, BIGINT_OPS), tags: NO_TAGS },
    invalid,
  };
}

/** The symbolic atom of one unresolved service tag (case-insensitive). */
export function tagAtom(name: string): AddressSet {
  return { v4: [], v6: [], tags: { complement: false, names: [name.toLowerCase()] } };
}

// Tag sets form a boolean algebra of finite and cofinite sets of names.
function sortedUnique(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

function tagUnion(a: TagSet, b: TagSet): TagSet {
  // With nothing to add, a set of at most one name (or a cofinite one) is its own union.
  if (tagIsEmpty(b) && (a.complement || a.names.length <= 1)) return a;
  if (tagIsEmpty(a) && (b.complement || b.names.length <= 1)) return b;
  if (!a.complement && !b.complement) return { complement: false, names: sortedUnique([...a.names, ...b.names]) };
  if (a.complement && b.complement) return { complement: true, names: a.names.filter((n) => b.names.includes(n)) };
  const [comp, fin] = a.complement ? [a, b] : [b, a];
  return { complement: true, names: comp.names.filter((n) => !fin.names.includes(n)) };
}

function tagIntersect(a: TagSet, b: TagSet): TagSet {
  if (tagIsEmpty(a)) return a;
  if (tagIsEmpty(b)) return b;
  // Every tag (the cofinite set with no exception) leaves the other side as it is: most sets are that or empty.
  if (a.complement && a.names.length === 0) return b;
  if (b.complement && b.names.length === 0) return a;
  if (!a.complement && !b.complement) return { complement: false, names: a.names.filter((n) => b.names.includes(n)) };
  if (a.complement && b.complement) return { complement: true, names: sortedUnique([...a.names, ...b.names]) };
  const [comp, fin] = a.complement ? [a, b] : [b, a];
  return { complement: false, names: fin.names.filter((n) => !comp.names.includes(n)) };
}

function tagComplement(a: TagSet): TagSet {
  return { complement: !a.complement, names: a.names };
}

/** Whether the tag set holds the tag (lower-case key). */
export function tagContains(set: TagSet, key: string): boolean {
  return set.names.includes(key) !== set.complement;
}

function tagIsEmpty(a: TagSet): boolean {
  return !a.complement && a.names.length === 0;
}

/** Addresses (and tags) in either set; an operand itself when the union is that operand. */
export function addressUnion(a: AddressSet, b: AddressSet): AddressSet {
  const v4 = unionIntervals(a.v4, b.v4, NUMBER_OPS);
  const v6 = unionIntervals(a.v6, b.v6, BIGINT_OPS);
  const tags = tagUnion(a.tags, b.tags);
  if (v4 === a.v4 && v6 === a.v6 && tags === a.tags) return a;
  if (v4 === b.v4 && v6 === b.v6 && tags === b.tags) return b;
  return { v4, v6, tags };
}

/**
 * The union of many sets in one sort and merge: O(n log n) in their intervals, where folding
 * {@link addressUnion} over a list of prefixes copies the growing result each time (quadratic).
 */
export function addressUnionAll(sets: readonly AddressSet[]): AddressSet {
  if (sets.length === 0) return NO_ADDRESS;
  if (sets.length === 1) return sets[0] as AddressSet;
  const v4: number[] = [];
  const v6: bigint[] = [];
  let tags = NO_TAGS;
  for (const set of sets) {
    for (const bound of set.v4) v4.push(bound);
    for (const bound of set.v6) v6.push(bound);
    if (!tagIsEmpty(set.tags)) tags = tagUnion(tags, set.tags);
  }
  return { v4: normalizeIntervals(v4, NUMBER_OPS), v6: normalizeIntervals(v6, BIGINT_OPS), tags };
}

/** Addresses (and tags) in both sets; an operand itself when the intersection is that operand. */
export function addressIntersect(a: AddressSet, b: AddressSet): AddressSet {
  const v4 = intersectIntervals(a.v4, b.v4);
  const v6 = intersectIntervals(a.v6, b.v6);
  const tags = tagIntersect(a.tags, b.tags);
  if (v4 === a.v4 && v6 === a.v6 && tags === a.tags) return a;
  if (v4 === b.v4 && v6 === b.v6 && tags === b.tags) return b;
  return { v4, v6, tags };
}

/** a \ b */
export function addressDifference(a: AddressSet, b: AddressSet): AddressSet {
  return {
    v4: subtractIntervals(a.v4, b.v4, NUMBER_OPS),
    v6: subtractIntervals(a.v6, b.v6, BIGINT_OPS),
    tags: tagIntersect(a.tags, tagComplement(b.tags)),
  };
}

/** The set holds no address and no tag. */
export function addressIsEmpty(set: AddressSet): boolean {
  return set.v4.length === 0 && set.v6.length === 0 && tagIsEmpty(set.tags);
}

/** The sets hold the same addresses and tags. */
export function addressEquals(a: AddressSet, b: AddressSet): boolean {
  return (
    equalIntervals(a.v4, b.v4) &&
    equalIntervals(a.v6, b.v6) &&
    a.tags.complement === b.tags.complement &&
    a.tags.names.length === b.tags.names.length &&
    a.tags.names.every((n, i) => b.tags.names[i] === n)
  );
}

function tagsSubset(a: TagSet, b: TagSet): boolean {
  if (!a.complement) return a.names.every((n) => tagContains(b, n));
  // A cofinite set fits only in a cofinite set excluding no more than it does.
  return b.complement && b.names.every((n) => a.names.includes(n));
}

/** Every address and tag of a is in b. */
export function addressIsSubset(a: AddressSet, b: AddressSet): boolean {
  return subsetIntervals(a.v4, b.v4) && subsetIntervals(a.v6, b.v6) && tagsSubset(a.tags, b.tags);
}

function tagsOverlap(a: TagSet, b: TagSet): boolean {
  if (tagIsEmpty(a) || tagIsEmpty(b)) return false;
  if (a.complement && b.complement) return true;
  if (!a.complement && !b.complement) return a.names.some((n) => b.names.includes(n));
  const [comp, fin] = a.complement ? [a, b] : [b, a];
  return fin.names.some((n) => !comp.names.includes(n));
}

/** Whether the sets share an address or tag atom; allocation-free. */
export function addressOverlaps(a: AddressSet, b: AddressSet): boolean {
  return overlapIntervals(a.v4, b.v4) || overlapIntervals(a.v6, b.v6) || tagsOverlap(a.tags, b.tags);
}

/** Membership of one IP literal, or of an unresolved tag given by name. */
export function addressContains(set: AddressSet, address: string | Ip): boolean {
  const ip = typeof address === 'string' ? parseIp(address) : address;
  if (!ip) return typeof address === 'string' && tagContains(set.tags, address.trim().toLowerCase());
  return ip.family === 4 ? containsPoint(set.v4, ip.value) : containsPoint(set.v6, ip.value);
}

/** IPv4 and IPv6 counts and the tags held. */
export function addressCount(set: AddressSet): AddressCount {
  return { ipv4: sizeIntervals(set.v4, NUMBER_OPS), ipv6: sizeIntervals(set.v6, BIGINT_OPS), tags: set.tags };
}

/** Special-purpose ranges that are never Internet (DESIGN §3). */
export const SPECIAL_PURPOSE_PREFIXES: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
];

// Global unicast space minus special-purpose and private ranges: where "nice" witnesses come from.
const NICE_PUBLIC: AddressSet = addressDifference(
  addressUnion(ALL_IPV4, addressesFromPrefixes(['2000::/3']).set),
  addressesFromPrefixes(SPECIAL_PURPOSE_PREFIXES).set,
);

/** The first element two interval sets share; allocation-free. */
function firstCommon<T extends number | bigint>(a: readonly T[], b: readonly T[]): T | undefined {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = (a[i] as T) > (b[j] as T) ? (a[i] as T) : (b[j] as T);
    const ahi = a[i + 1] as T;
    const bhi = b[j + 1] as T;
    if (lo <= (ahi < bhi ? ahi : bhi)) return lo;
    if (ahi < bhi) i += 2;
    else j += 2;
  }
  return undefined;
}

/**
 * One member of the set, as a parsed IP or (for a set holding only unresolved tags) a tag key:
 * the first address of its first IPv4 interval, else IPv6, else a tag. With `preferPublic`, a
 * public (global unicast) address comes first when there is one.
 */
export function addressSampleIp(set: AddressSet, options: { preferPublic?: boolean } = {}): Ip | string | undefined {
  if (options.preferPublic) {
    const v4 = firstCommon(set.v4, NICE_PUBLIC.v4);
    if (v4 !== undefined) return { family: 4, value: v4 };
    const v6 = firstCommon(set.v6, NICE_PUBLIC.v6);
    if (v6 !== undefined) return { family: 6, value: v6 };
  }
  if (set.v4.length > 0) return { family: 4, value: set.v4[0] as number };
  if (set.v6.length > 0) return { family: 6, value: set.v6[0] as bigint };
  if (!set.tags.complement) return set.tags.names[0];
  return undefined;
}

/** {@link addressSampleIp} as text: an IP literal or a tag name. */
export function addressSample(set: AddressSet, options: { preferPublic?: boolean } = {}): string | undefined {
  const sample = addressSampleIp(set, options);
  return sample === undefined || typeof sample === 'string' ? sample : formatIp(sample);
}

/** An IPv6 interval set as minimal CIDR blocks. */
function cidrsOfV6(set: readonly bigint[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < set.length; i += 2) {
    let lo = set[i] as bigint;
    const hi = set[i + 1] as bigint;
    while (lo <= hi) {
      // The largest aligned block starting at lo that stays within hi.
      let size = lo === 0n ? 1n << 128n : lo & -lo;
      while (lo + size - 1n > hi) size >>= 1n;
      const length = 128 - (size.toString(2).length - 1);
      out.push(`${formatV6(lo)}/${length}`);
      lo += size;
    }
  }
  return out;
}

/**
 * Calls `block(start, length)` for each minimal CIDR block of an IPv4 interval set, in order, until
 * it returns false. In plain numbers (every value below 2^32 is exact): a block at `lo` is as
 * large as the lowest set bit of `lo` allows (all of IPv4 at 0) and no larger than what is left.
 */
function forEachBlockV4(set: readonly number[], block: (start: number, length: number) => boolean): void {
  for (let i = 0; i < set.length; i += 2) {
    let lo = set[i] as number;
    const hi = set[i + 1] as number;
    while (lo <= hi) {
      const aligned = lo === 0 ? 2 ** 32 : (lo & -lo) >>> 0;
      const left = hi - lo + 1;
      const fits = left === 2 ** 32 ? left : 2 ** (31 - Math.clz32(left));
      const size = Math.min(aligned, fits);
      if (!block(lo, size === 2 ** 32 ? 0 : Math.clz32(size) + 1)) return;
      lo += size;
    }
  }
}

function cidrsOfV4(set: readonly number[]): string[] {
  const out: string[] = [];
  forEachBlockV4(set, (start, length) => {
    out.push(`${formatV4(start)}/${length}`);
    return true;
  });
  return out;
}

/** The concrete part as minimal CIDR blocks, IPv4 first. */
export function addressToCidrs(set: AddressSet): string[] {
  return [...cidrsOfV4(set.v4), ...cidrsOfV6(set.v6)];
}

/**
 * The first `limit` blocks of addressToCidrs and how many there are in all, without writing out
 * the rest (a set of many member /32s can take thousands).
 */
export function cidrSummary(set: AddressSet, limit: number): { first: string[]; count: number } {
  const first: string[] = [];
  let count = 0;
  forEachBlockV4(set.v4, (start, length) => {
    if (first.length < limit) first.push(`${formatV4(start)}/${length}`);
    count += 1;
    return true;
  });
  if (set.v6.length > 0) {
    const v6 = cidrsOfV6(set.v6);
    first.push(...v6.slice(0, Math.max(0, limit - first.length)));
    count += v6.length;
  }
  return { first, count };
}

/** CIDR blocks, then unresolved tags (`tag:name`, or `every unresolved service tag`). */
export function formatAddresses(set: AddressSet): string[] {
  const out = addressToCidrs(set);
  if (set.tags.complement) {
    out.push(
      set.tags.names.length === 0
        ? 'every unresolved service tag'
        : `every unresolved service tag except ${set.tags.names.join(', ')}`,
    );
  } else {
    for (const name of set.tags.names) out.push(`tag:${name}`);
  }
  return out;
}
