/** Port sets (0–65535) and the port syntax of security rules: `*`, `N`, `N-M`, lists of those. */
import { boundedText, describeValue } from './describe-value.js';
import type { PortSet } from './types.js';
import {
  NUMBER_OPS,
  containsPoint,
  intersectIntervals,
  normalizeIntervals,
  overlapIntervals,
  sizeIntervals,
  subsetIntervals,
  subtractIntervals,
  unionIntervals,
} from './intervals.js';

/** The highest port number. */
export const MAX_PORT = 65535;
/** Every port: what `*` and `0-65535` mean. */
export const ALL_PORTS: PortSet = Object.freeze([0, MAX_PORT]);
/** The empty port set. */
export const NO_PORTS: PortSet = Object.freeze([]);

export type PortParseResult = { ok: true; ports: PortSet } | { ok: false; message: string };

const SINGLE = /^\d{1,5}$/;
const RANGE = /^(\d{1,5})\s*-\s*(\d{1,5})$/;

/** Parses one port entry (`*`, `22`, `1000-2000`); numbers are accepted as they are in JSON. */
function parsePortEntry(entry: unknown): { ok: true; lo: number; hi: number } | { ok: false; message: string } {
  if (typeof entry === 'number') {
    if (Number.isInteger(entry) && entry >= 0 && entry <= MAX_PORT) return { ok: true, lo: entry, hi: entry };
    return { ok: false, message: `port ${String(entry)} is outside 0-65535` };
  }
  if (typeof entry !== 'string') return { ok: false, message: `port entry ${describeValue(entry)} is not a string` };
  const text = entry.trim();
  if (text === '*' || text.toLowerCase() === 'any') return { ok: true, lo: 0, hi: MAX_PORT };
  if (SINGLE.test(text)) {
    const port = Number(text);
    if (port > MAX_PORT) return { ok: false, message: `port ${text} is outside 0-65535` };
    return { ok: true, lo: port, hi: port };
  }
  const range = RANGE.exec(text);
  if (range) {
    const lo = Number(range[1]);
    const hi = Number(range[2]);
    if (lo > MAX_PORT || hi > MAX_PORT) return { ok: false, message: `port range '${boundedText(text)}' is outside 0-65535` };
    if (lo > hi) return { ok: false, message: `port range '${boundedText(text)}' ends before it starts` };
    return { ok: true, lo, hi };
  }
  return { ok: false, message: `'${boundedText(text)}' is not a port, a port range (N-M) or *` };
}

/** Parses port entries (a rule's singular and plural fields together) into one set. */
export function parsePorts(entries: readonly unknown[]): PortParseResult {
  const pairs: number[] = [];
  for (const entry of entries) {
    const parsed = parsePortEntry(entry);
    if (!parsed.ok) return parsed;
    pairs.push(parsed.lo, parsed.hi);
  }
  return { ok: true, ports: normalizeIntervals(pairs, NUMBER_OPS) };
}

/** Builds a set from ports and inclusive [from, to] ranges; throws RangeError outside 0-65535. */
export function portSet(items: readonly (number | readonly [number, number])[]): PortSet {
  const pairs: number[] = [];
  for (const item of items) {
    const [lo, hi] = typeof item === 'number' ? [item, item] : item;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > MAX_PORT || lo > hi) {
      throw new RangeError(`invalid port range ${lo}-${hi}`);
    }
    pairs.push(lo, hi);
  }
  return normalizeIntervals(pairs, NUMBER_OPS);
}

/** Ports in either set. */
export function portUnion(a: PortSet, b: PortSet): PortSet {
  return unionIntervals(a, b, NUMBER_OPS);
}

/** Ports in both sets. */
export function portIntersect(a: PortSet, b: PortSet): PortSet {
  return intersectIntervals(a, b);
}

/** Ports in a but not in b. */
export function portDifference(a: PortSet, b: PortSet): PortSet {
  return subtractIntervals(a, b, NUMBER_OPS);
}

/** Whether the set holds the port. */
export function portContains(set: PortSet, port: number): boolean {
  return containsPoint(set, port);
}

/** Whether the sets share a port. */
export function portOverlaps(a: PortSet, b: PortSet): boolean {
  return overlapIntervals(a, b);
}

/** Every port of a is in b. */
export function portIsSubset(a: PortSet, b: PortSet): boolean {
  return subsetIntervals(a, b);
}

/** The set holds no port. */
export function portIsEmpty(set: PortSet): boolean {
  return set.length === 0;
}

/** Every port 0-65535 (what Icmp/Esp/Ah flows need from a rule). */
export function portIsAll(set: PortSet): boolean {
  return set.length === 2 && set[0] === 0 && set[1] === MAX_PORT;
}

/** How many ports the set holds. */
export function portCount(set: PortSet): number {
  return sizeIntervals(set, NUMBER_OPS);
}

/** The set as inclusive ranges. */
export function portRanges(set: PortSet): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (let i = 0; i < set.length; i += 2) out.push({ from: set[i] as number, to: set[i + 1] as number });
  return out;
}

/** Rule syntax: `['*']`, `['22', '80-90']`. */
export function formatPorts(set: PortSet): string[] {
  if (portIsAll(set)) return ['*'];
  return portRanges(set).map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`));
}
