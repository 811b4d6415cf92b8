/** GET /api/suppressions, POST /api/suppressions, DELETE /api/suppressions/{id}. */
import type { EvaluationCause, NewSuppression } from '../store/index.js';
import {
  errorResponse,
  header,
  invalid,
  jsonResponse,
  notFound,
  readJsonBody,
  type ApiRequest,
  type ApiResponse,
  type Checked,
} from './http.js';
import {
  LIMITS,
  checkFields,
  checkObject,
  checkParameters,
  checkRuleId,
  checkText,
  checkToken,
  quote,
} from './params.js';
import type { Principal } from './access.js';
import type { ApiDeps } from './types.js';

/** No `createdBy`: the author is the signed-in principal, never a field the caller writes. */
const SUPPRESSION_FIELDS = ['ruleId', 'resourcePattern', 'reason', 'expiresAt'] as const;
/** A suppression is a decision to revisit: it may not outlive a year. */
const MAX_SUPPRESSION_DAYS = 366;

export async function listSuppressions(deps: ApiDeps, request: ApiRequest): Promise<ApiResponse> {
  const unknown = checkParameters(request.query, []);
  if (unknown) return errorResponse(unknown);
  return jsonResponse(200, { items: await deps.store.listSuppressions() });
}

export async function addSuppression(deps: ApiDeps, request: ApiRequest, principal: Principal): Promise<ApiResponse> {
  const unknown = checkParameters(request.query, []);
  if (unknown) return errorResponse(unknown);
  const body = readJsonBody(request);
  if (!body.ok) return errorResponse(body.error);
  const now = (deps.now ?? (() => new Date()))();
  const input = parseNewSuppression(body.value, now, principal.name);
  if (!input.ok) return errorResponse(input.error);
  const result = await deps.store.addSuppression(input.value, causeOf(request, input.value.createdBy, 'nsgwatch/suppressions/write'));
  if (!result.ok) return errorResponse(invalid(result.error.message, result.error.field));
  return jsonResponse(201, { suppression: result.suppression, transitions: result.transitions.length });
}

export async function removeSuppression(deps: ApiDeps, request: ApiRequest, id: string, principal: Principal): Promise<ApiResponse> {
  const unknown = checkParameters(request.query, []);
  if (unknown) return errorResponse(unknown);
  const token = checkToken(id, 'id', LIMITS.maxNameLength);
  if (!token.ok) return errorResponse(token.error);
  const result = await deps.store.removeSuppression(token.value, causeOf(request, principal.name, 'nsgwatch/suppressions/delete'));
  if (!result.ok) return errorResponse(notFound(`no suppression with id ${quote(id)}`));
  return jsonResponse(200, { removed: token.value, transitions: result.transitions.length });
}

/** Validate a new suppression made by `author` (the signed-in principal's name). */
export function parseNewSuppression(value: unknown, now: Date, author: string): Checked<NewSuppression> {
  const object = checkObject(value, '');
  if (!object.ok) return object;
  const extra = checkFields(object.value, SUPPRESSION_FIELDS, '');
  if (extra) return { ok: false, error: extra };
  const { ruleId, resourcePattern, reason, expiresAt } = object.value;
  const rule = checkText(ruleId, 'ruleId', 64);
  if (!rule.ok) return rule;
  const ruleShape = checkRuleId(rule.value, 'ruleId', true);
  if (!ruleShape.ok) return ruleShape;
  const pattern = checkText(resourcePattern, 'resourcePattern', LIMITS.maxResourceIdLength);
  if (!pattern.ok) return pattern;
  const why = checkText(reason, 'reason', LIMITS.maxReasonLength, { allowNewlines: true });
  if (!why.ok) return why;
  const expiry = checkExpiry(expiresAt, now);
  if (!expiry.ok) return expiry;
  return {
    ok: true,
    value: { ruleId: ruleShape.value, resourcePattern: pattern.value, reason: why.value, expiresAt: expiry.value, createdBy: author.slice(0, LIMITS.maxNameLength) },
  };
}

function checkExpiry(value: unknown, now: Date): Checked<Date> {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) {
    return { ok: false, error: invalid('expiresAt must be an ISO 8601 date or date-time, e.g. 2030-01-31T00:00:00Z', 'expiresAt') };
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !isCalendarExact(value)) return { ok: false, error: invalid(`expiresAt ${quote(value)} is not a real date`, 'expiresAt') };
  if (date.getTime() <= now.getTime()) return { ok: false, error: invalid(`expiresAt ${quote(value)} is in the past`, 'expiresAt') };
  if (date.getTime() - now.getTime() > MAX_SUPPRESSION_DAYS * 86_400_000) {
    return { ok: false, error: invalid(`expiresAt is more than ${MAX_SUPPRESSION_DAYS} days away; suppressions must be revisited`, 'expiresAt') };
  }
  return { ok: true, value: date };
}

/** `Date` rolls 2027-02-30 over to 2 March; every field must be within its calendar range as written. */
function isCalendarExact(value: string): boolean {
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = [
    /^(\d{4})-(\d{2})-(\d{2})/, /T(\d{2}):(\d{2})(?::(\d{2}))?/, /([+-]\d{2}):(\d{2})$/,
  ].flatMap((re, i) => {
    const found = re.exec(value);
    const width = i === 0 ? 3 : i === 1 ? 3 : 2;
    return Array.from({ length: width }, (_, k) => (found?.[k + 1] === undefined ? 0 : Number(found[k + 1])));
  });
  const daysInMonth = new Date(Date.UTC(year ?? 0, month ?? 0, 0)).getUTCDate();
  return (
    (month ?? 0) >= 1 && (month ?? 0) <= 12 && (day ?? 0) >= 1 && (day ?? 0) <= daysInMonth &&
    (hour ?? 0) <= 23 && (minute ?? 0) <= 59 && (second ?? 0) <= 59 &&
    Math.abs(offsetHour ?? 0) <= 23 && (offsetMinute ?? 0) <= 59
  );
}

function causeOf(request: ApiRequest, by: string, operation: string): EvaluationCause {
  const correlationId = header(request, 'x-correlation-id') ?? header(request, 'x-ms-client-request-id');
  return {
    changedBy: by.slice(0, LIMITS.maxNameLength),
    ...(correlationId !== undefined && correlationId.length <= 128 ? { correlationId } : {}),
    operation,
  };
}
