/** GET /api/findings (filters, paging) and GET /api/findings/{id} (with history). */
import { FINDING_STATUSES, StoreQueryError, type FindingQuery } from '../store/index.js';
import { SEVERITIES } from '../verdicts/finding.js';
import {
  errorResponse,
  invalid,
  jsonResponse,
  notFound,
  type ApiError,
  type ApiRequest,
  type ApiResponse,
  type Checked,
} from './http.js';
import {
  LIMITS,
  checkEnum,
  checkInteger,
  checkParameters,
  checkResourceId,
  checkRuleId,
  checkSubscriptionId,
  checkToken,
  quote,
} from './params.js';
import type { ApiDeps } from './types.js';

export const FINDING_FILTERS = ['status', 'severity', 'ruleId', 'resource', 'subscription', 'limit', 'continuationToken'] as const;

/** Turn the query string into a store query; the first bad parameter is the answer. */
export function parseFindingQuery(query: URLSearchParams): Checked<FindingQuery> {
  const unknown = checkParameters(query, FINDING_FILTERS);
  if (unknown) return { ok: false, error: unknown };
  const result: FindingQuery = { limit: LIMITS.defaultPageSize };
  for (const [name, raw] of query.entries()) {
    const problem = applyFilter(result, name, raw);
    if (problem) return { ok: false, error: problem };
  }
  return { ok: true, value: result };
}

function applyFilter(target: FindingQuery, name: string, raw: string): ApiError | undefined {
  switch (name) {
    case 'status': {
      const status = checkEnum(raw, FINDING_STATUSES, name);
      if (!status.ok) return status.error;
      target.status = status.value;
      return undefined;
    }
    case 'severity': {
      const severity = checkEnum(raw, SEVERITIES, name);
      if (!severity.ok) return severity.error;
      target.severity = severity.value;
      return undefined;
    }
    case 'ruleId': {
      const ruleId = checkRuleId(raw, name);
      if (!ruleId.ok) return ruleId.error;
      target.ruleId = ruleId.value;
      return undefined;
    }
    case 'resource': {
      const resource = checkResourceId(raw, name);
      if (!resource.ok) return resource.error;
      target.resource = resource.value;
      return undefined;
    }
    case 'subscription': {
      const subscription = checkSubscriptionId(raw, name);
      if (!subscription.ok) return subscription.error;
      target.subscription = subscription.value;
      return undefined;
    }
    case 'limit': {
      const limit = checkInteger(raw, name, 1, LIMITS.maxPageSize);
      if (!limit.ok) return limit.error;
      target.limit = limit.value;
      return undefined;
    }
    case 'continuationToken': {
      const token = checkToken(raw, name, LIMITS.maxContinuationTokenLength);
      if (!token.ok) return token.error;
      target.continuationToken = token.value;
      return undefined;
    }
    default:
      // Transport parameters (the Functions key) were let through by checkParameters.
      return undefined;
  }
}

export async function listFindings(deps: ApiDeps, request: ApiRequest): Promise<ApiResponse> {
  const query = parseFindingQuery(request.query);
  if (!query.ok) return errorResponse(query.error);
  let page;
  try {
    page = await deps.store.listFindings(query.value);
  } catch (error) {
    // A token the store did not issue is the caller's mistake, not an outage.
    if (error instanceof StoreQueryError) return errorResponse(invalid(error.message, error.field));
    throw error;
  }
  return jsonResponse(200, {
    items: page.items,
    ...(page.continuationToken !== undefined ? { continuationToken: page.continuationToken } : {}),
  });
}

export async function getFinding(deps: ApiDeps, request: ApiRequest, id: string): Promise<ApiResponse> {
  const unknown = checkParameters(request.query, []);
  if (unknown) return errorResponse(unknown);
  const token = checkToken(id, 'id', LIMITS.maxFindingIdLength);
  if (!token.ok) return errorResponse(token.error);
  const found = await deps.store.getFinding(token.value);
  if (found === undefined) return errorResponse(notFound(`no finding with id ${quote(id)}`));
  return jsonResponse(200, { finding: found.finding, history: found.history });
}
