/** Suppression matching and validation: pure. */
import { normalizeId } from '../arm/index.js';
import type { InputProblem, NewSuppression, Suppression } from './types.js';

/** Longest resource pattern accepted: an ARM id is at most this long, and it bounds the matcher's work. */
export const MAX_PATTERN_LENGTH = 1024;

/**
 * Glob match without backtracking: `*` any run of characters, `?` exactly one (code point).
 * The pattern splits at `*` into fixed-length segments; the first is anchored at the start, the
 * last at the end, and each one between takes its leftmost place after the previous one (leftmost
 * is always safe, since a later `*` can absorb what an earlier placement skipped). Work is at
 * most |text| x |pattern| character comparisons, and |text| for patterns without `?` runs.
 * Glob libraries on npm (picomatch, micromatch, matcher, wildcard-match) compile to regular
 * expressions, which backtrack on patterns like `*?*?*?*?*?*?!`; hence this one.
 */
export function wildcardMatch(pattern: string, text: string, work: { steps: number } = { steps: 0 }): boolean {
  const t = Array.from(text);
  const segments = pattern.split('*').map((segment) => Array.from(segment));
  const matchAt = (segment: readonly string[], at: number): boolean => {
    for (let i = 0; i < segment.length; i++) {
      work.steps += 1;
      const p = segment[i];
      if (p !== '?' && p !== t[at + i]) return false;
    }
    return true;
  };
  const first = segments[0] ?? [];
  if (segments.length === 1) return t.length === first.length && matchAt(first, 0);
  const last = segments[segments.length - 1] ?? [];
  if (t.length < first.length + last.length) return false;
  if (!matchAt(first, 0) || !matchAt(last, t.length - last.length)) return false;
  let position = first.length;
  const end = t.length - last.length;
  for (let s = 1; s < segments.length - 1; s++) {
    const segment = segments[s] ?? [];
    let found = -1;
    for (let at = position; at + segment.length <= end; at++) {
      work.steps += 1;
      if (matchAt(segment, at)) {
        found = at;
        break;
      }
    }
    if (found < 0) return false;
    position = found + segment.length;
  }
  return true;
}

/** `*` matches any run of characters (slashes included), `?` one; case-insensitive like ARM ids. */
export function resourcePatternMatches(pattern: string, resourceId: string): boolean {
  return wildcardMatch(normalizeId(pattern), normalizeId(resourceId));
}

export function suppressionMatches(suppression: Suppression, ruleId: string, resourceId: string): boolean {
  const ruleMatches = suppression.ruleId === '*' || suppression.ruleId.toLowerCase() === ruleId.toLowerCase();
  return ruleMatches && resourcePatternMatches(suppression.resourcePattern, resourceId);
}

export function isActive(suppression: Suppression, now: Date): boolean {
  return Date.parse(suppression.expiresAt) > now.getTime();
}

/** The active suppression that mutes a finding; the one that lasts longest when several match. */
export function activeSuppressionFor(
  suppressions: readonly Suppression[],
  ruleId: string,
  resourceId: string,
  now: Date,
): Suppression | undefined {
  let best: Suppression | undefined;
  for (const s of suppressions) {
    if (!isActive(s, now) || !suppressionMatches(s, ruleId, resourceId)) continue;
    if (!best || s.expiresAt > best.expiresAt || (s.expiresAt === best.expiresAt && s.id < best.id)) best = s;
  }
  return best;
}

const MAX_FIELD = 2_000;

/** Every field is required: a suppression without a reason, an owner or an expiry is not accepted. */
export function validateSuppression(input: NewSuppression, now: Date): InputProblem | undefined {
  const text: [keyof NewSuppression, string][] = [
    ['ruleId', input.ruleId],
    ['resourcePattern', input.resourcePattern],
    ['reason', input.reason],
    ['createdBy', input.createdBy],
  ];
  for (const [field, value] of text) {
    if (typeof value !== 'string' || value.trim() === '') {
      return { code: 'invalid', field, message: `suppression ${field} is required` };
    }
    const max = field === 'resourcePattern' ? MAX_PATTERN_LENGTH : MAX_FIELD;
    if (value.length > max) {
      return { code: 'invalid', field, message: `suppression ${field} is longer than ${max} characters` };
    }
    if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) {
      return { code: 'invalid', field, message: `suppression ${field} contains control characters` };
    }
  }
  if (!/^(\*|[A-Za-z0-9][A-Za-z0-9._-]*)$/.test(input.ruleId.trim())) {
    return { code: 'invalid', field: 'ruleId', message: `suppression ruleId "${input.ruleId}" is not a rule id or *` };
  }
  if (!(input.expiresAt instanceof Date) || Number.isNaN(input.expiresAt.getTime())) {
    return { code: 'invalid', field: 'expiresAt', message: 'suppression expiresAt is not a valid date' };
  }
  if (input.expiresAt.getTime() <= now.getTime()) {
    return {
      code: 'invalid',
      field: 'expiresAt',
      message: `suppression expiresAt ${input.expiresAt.toISOString()} is not in the future`,
    };
  }
  return undefined;
}
