/**
 * Table Storage keys. PartitionKey/RowKey may not contain `/ \ # ?` or control characters and are
 * at most 1 KiB; ARM ids are case-insensitive. Layout (one table, one partition per subscription,
 * so a finding and its history row commit in one entity-group transaction):
 *
 *   PartitionKey  subscription id (lower case), or `unscoped` for ids outside a subscription
 *   RowKey        `f!<resource>!<rule>!<scope>`             current finding
 *                 `h!<resource>!<rule>!<scope>!<version>`   history row (append-only), one per transition
 *                 `o!<transition id>`                       pending notification (outbox.ts), committed with its transition
 *
 *   PartitionKey  `<subscription id>!guards`: the guard memory (guards.ts), in a partition of its
 *   RowKey        `g!<resource>!<subnet>`, `m!guards`   own so a sweep's bulk writes of it do not
 *                                                       share the findings' partition
 *
 * Each part is {@link encodeKeyPart}: URL-safe, never contains `!`, so prefixes are unambiguous
 * and "every finding of one resource" is a RowKey range.
 */
import { createHash } from 'node:crypto';
import { normalizeId } from '../arm/index.js';

/** Characters kept as they are (`A-Z a-z 0-9 . _ -`); everything else becomes `~xx` per UTF-8 byte. */
function kept(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x2e || code === 0x5f || code === 0x2d;
}

/** Longest finding key; a history row key adds 13 characters and stays under 512 (1 KiB in UTF-16). */
export const MAX_FINDING_KEY = 440;
const MAX_RESOURCE_PART = 300;
const MAX_RULE_PART = 40;
const HASH_CHARS = 32;

export const FINDING_ROW_PREFIX = 'f!';
export const HISTORY_ROW_PREFIX = 'h!';
export const UNSCOPED_PARTITION = 'unscoped';

/** Reversible, order-preserving per character, key-safe and URL-safe (RFC 3986 unreserved). */
export function encodeKeyPart(value: string): string {
  // Runs of kept characters are copied whole: an ARM id is mostly such runs between its slashes.
  let out = '';
  let run = 0;
  for (let i = 0; i < value.length; i++) {
    if (kept(value.charCodeAt(i))) continue;
    out += value.slice(run, i);
    // One code point (a surrogate pair, or a lone surrogate that UTF-8 writes as U+FFFD).
    const point = value.codePointAt(i) as number;
    const char = String.fromCodePoint(point);
    for (const byte of Buffer.from(char, 'utf8')) out += `~${byte.toString(16).padStart(2, '0')}`;
    i += char.length - 1;
    run = i + 1;
  }
  return run === 0 ? value : out + value.slice(run);
}

/** Keeps a part within `max` characters: a long one keeps its head and gains a hash of the whole. */
function fit(encoded: string, original: string, max: number): string {
  if (encoded.length <= max) return encoded;
  const hash = createHash('sha256').update(original, 'utf8').digest('hex').slice(0, HASH_CHARS);
  return `${encoded.slice(0, max - HASH_CHARS - 2)}~~${hash}`;
}

export function resourceKeyPart(resourceId: string): string {
  const normalized = normalizeId(resourceId);
  return fit(encodeKeyPart(normalized), normalized, MAX_RESOURCE_PART);
}

/** The finding's id: `<resource>!<rule>!<scope>`, each part encoded (and shortened with a hash when long). */
export function findingKey(ruleId: string, resourceId: string, scope: string): string {
  const resource = resourceKeyPart(resourceId);
  const rule = fit(encodeKeyPart(ruleId), ruleId, MAX_RULE_PART);
  const scopeBudget = MAX_FINDING_KEY - resource.length - rule.length - 2;
  return `${resource}!${rule}!${fit(encodeKeyPart(scope), scope, scopeBudget)}`;
}

const SUBSCRIPTION_PREFIX = /^~2fsubscriptions~2f([0-9a-z._-]+)(?:~2f|!|$)/;

/** The partition of a finding key or resource key part: the subscription id it starts with. */
export function partitionOfKey(key: string): string {
  return SUBSCRIPTION_PREFIX.exec(key)?.[1] ?? UNSCOPED_PARTITION;
}

export function partitionOfResource(resourceId: string): string {
  return partitionOfKey(resourceKeyPart(resourceId));
}

export function findingRowKey(id: string): string {
  return FINDING_ROW_PREFIX + id;
}

/**
 * A finding's n-th transition. The version (not the clock) orders history, so clock skew between
 * instances cannot reorder it, and the ETag guard makes (finding, version) unique.
 */
export function transitionId(id: string, version: number): string {
  return `${id}!${String(version).padStart(10, '0')}`;
}

export function historyRowKey(transition: string): string {
  return HISTORY_ROW_PREFIX + transition;
}

/** A finding key is what {@link findingKey} makes: three `!`-separated key-safe parts. */
export function isFindingKey(value: string): boolean {
  return /^[A-Za-z0-9._~-]+![A-Za-z0-9._~-]*![A-Za-z0-9._~-]*$/.test(value) && value.length <= MAX_FINDING_KEY;
}

/** The RowKey range `[lower, upper)` of every row that starts with `prefix`. */
export function prefixRange(prefix: string): { lower: string; upper: string } {
  const last = prefix.charCodeAt(prefix.length - 1);
  return { lower: prefix, upper: prefix.slice(0, -1) + String.fromCharCode(last + 1) };
}
