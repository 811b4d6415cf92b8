/** Suppression matching and validation: pure. */
import { normalizeId } from '../arm/index.js';
import type { InputProblem, NewSuppression, Suppression } from './types.js';

const patternCache = new Map<string, RegExp>();

/** `*` matches any run of characters (slashes included), `?` one; case-insensitive like ARM ids. */
export function resourcePatternRegExp(pattern: string): RegExp {
  const cached = patternCache.get(pattern);
  if (cached) return cached;
  let source = '';
  for (const char of normalizeId(pattern)) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const regexp = new RegExp(`^${source}$`, 'su');
  patternCache.set(pattern, regexp);
  return regexp;
}

export function suppressionMatches(suppression: Suppression, ruleId: string, resourceId: string): boolean {
  const ruleMatches = suppression.ruleId === '*' || suppression.ruleId.toLowerCase() === ruleId.toLowerCase();
  return ruleMatches && resourcePatternRegExp(suppression.resourcePattern).test(normalizeId(resourceId));
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
    if (value.length > MAX_FIELD) {
      return { code: 'invalid', field, message: `suppression ${field} is longer than ${MAX_FIELD} characters` };
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
