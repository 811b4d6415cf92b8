/**
 * Validation of query parameters and body fields: every value the API accepts is checked for
 * type, vocabulary and size, and a refusal names the parameter or field.
 */
import { invalid, describeValue, type ApiError, type Checked } from './http.js';
import { isRecord } from '../nsg/index.js';

/** Query parameters every route tolerates: `code` carries the Functions key in Azure. */
const TRANSPORT_PARAMETERS = new Set(['code']);

export const LIMITS = {
  /** Page size of list endpoints. */
  maxPageSize: 500,
  defaultPageSize: 100,
  /** ARM ids are at most a few hundred characters; anything longer is not one. */
  maxResourceIdLength: 1024,
  maxContinuationTokenLength: 4096,
  maxFindingIdLength: 1024,
  maxReasonLength: 1000,
  maxNameLength: 256,
  maxFlowQueries: 1000,
} as const;

const RULE_ID = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Tab, newline and other control characters have no place in an id, a name or a token.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Refuse parameters the route does not know and parameters given twice. */
export function checkParameters(query: URLSearchParams, allowed: readonly string[]): ApiError | undefined {
  const seen = new Set<string>();
  for (const name of query.keys()) {
    if (TRANSPORT_PARAMETERS.has(name)) continue;
    if (!allowed.includes(name)) {
      const known = allowed.length > 0 ? `; known: ${allowed.join(', ')}` : '; this route takes none';
      return { status: 400, code: 'unknownParameter', message: `unknown query parameter '${name}'${known}`, field: name };
    }
    if (seen.has(name)) return invalid(`query parameter '${name}' is given more than once`, name);
    seen.add(name);
  }
  return undefined;
}

/** One of a closed set of words, compared exactly. */
export function checkEnum<T extends string>(value: string, allowed: readonly T[], field: string): Checked<T> {
  if ((allowed as readonly string[]).includes(value)) return { ok: true, value: value as T };
  return { ok: false, error: invalid(`${field} must be one of ${allowed.join(', ')}; got ${quote(value)}`, field) };
}

export function checkRuleId(value: string, field: string, allowWildcard = false): Checked<string> {
  if (allowWildcard && value === '*') return { ok: true, value };
  if (RULE_ID.test(value)) return { ok: true, value };
  const wildcard = allowWildcard ? " (or '*' for every rule)" : '';
  return { ok: false, error: invalid(`${field} must be a rule id such as NSG-002${wildcard}; got ${quote(value)}`, field) };
}

export function checkSubscriptionId(value: string, field: string): Checked<string> {
  if (SUBSCRIPTION_ID.test(value)) return { ok: true, value: value.toLowerCase() };
  return { ok: false, error: invalid(`${field} must be a subscription id (a GUID); got ${quote(value)}`, field) };
}

export function checkResourceId(value: string, field: string): Checked<string> {
  if (value.length > LIMITS.maxResourceIdLength) {
    return { ok: false, error: invalid(`${field} is ${value.length} characters; an ARM id is at most ${LIMITS.maxResourceIdLength}`, field) };
  }
  if (!/^\/subscriptions\/[^/]+/i.test(value) || CONTROL.test(value)) {
    return { ok: false, error: invalid(`${field} must be an ARM resource id starting with /subscriptions/; got ${quote(value)}`, field) };
  }
  return { ok: true, value };
}

/** A whole number in [min, max], written in plain decimal digits. */
export function checkInteger(value: string, field: string, min: number, max: number): Checked<number> {
  if (!/^\d{1,9}$/.test(value)) {
    return { ok: false, error: invalid(`${field} must be a whole number from ${min} to ${max}; got ${quote(value)}`, field) };
  }
  const number = Number(value);
  if (number < min || number > max) {
    return { ok: false, error: invalid(`${field} must be from ${min} to ${max}; got ${number}`, field) };
  }
  return { ok: true, value: number };
}

/** Free text: a string, trimmed, not empty, at most `max` characters, no control characters. */
export function checkText(value: unknown, field: string, max: number, options: { allowNewlines?: boolean } = {}): Checked<string> {
  if (typeof value !== 'string') {
    return { ok: false, error: invalid(`${field} must be a string; got ${describeValue(value)}`, field) };
  }
  const text = value.trim();
  if (text === '') return { ok: false, error: invalid(`${field} must not be empty`, field) };
  if (text.length > max) return { ok: false, error: invalid(`${field} is ${text.length} characters; the limit is ${max}`, field) };
  const control = options.allowNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f]/ : CONTROL;
  if (control.test(text)) return { ok: false, error: invalid(`${field} contains control characters`, field) };
  return { ok: true, value: text };
}

export function checkToken(value: string, field: string, max: number): Checked<string> {
  if (value.length > max) return { ok: false, error: invalid(`${field} is ${value.length} characters; the limit is ${max}`, field) };
  if (value === '' || CONTROL.test(value)) return { ok: false, error: invalid(`${field} is not a valid token`, field) };
  return { ok: true, value };
}

/** Refuse body fields the endpoint does not know, so a typo never passes silently. */
export function checkFields(value: Record<string, unknown>, allowed: readonly string[], path: string): ApiError | undefined {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const at = path === '' ? key : `${path}.${key}`;
      return invalid(`unknown field '${key}'${path === '' ? '' : ` in ${path}`}; known: ${allowed.join(', ')}`, at);
    }
  }
  return undefined;
}

export function checkObject(value: unknown, field: string): Checked<Record<string, unknown>> {
  if (isRecord(value)) return { ok: true, value };
  const what = field === '' ? 'request body' : field;
  return { ok: false, error: invalid(`${what} must be a JSON object; got ${describeValue(value)}`, field === '' ? undefined : field) };
}

/** Quote a value for an error message, shortened so a huge input never echoes back whole. */
export function quote(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return JSON.stringify(shown);
}
