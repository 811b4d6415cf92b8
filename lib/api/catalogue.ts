/** GET /api/rules (the catalogue) and POST /api/scan (start a sweep). */
import {
  errorResponse,
  invalid,
  jsonResponse,
  readJsonBody,
  unavailable,
  type ApiRequest,
  type ApiResponse,
} from './http.js';
import { LIMITS, checkFields, checkObject, checkParameters, checkSubscriptionId } from './params.js';
import type { Principal } from './access.js';
import type { ApiDeps, ScanRequest } from './types.js';
import { assertNever } from '../nsg/index.js';

export function listRules(deps: ApiDeps, request: ApiRequest): ApiResponse {
  const unknown = checkParameters(request.query, []);
  if (unknown) return errorResponse(unknown);
  return jsonResponse(200, { items: deps.rules() });
}

export async function startScan(deps: ApiDeps, request: ApiRequest, principal: Principal): Promise<ApiResponse> {
  const unknown = checkParameters(request.query, []);
  if (unknown) return errorResponse(unknown);
  const body = readJsonBody(request, true);
  if (!body.ok) return errorResponse(body.error);
  const scan: ScanRequest = { requestedBy: principal.name.slice(0, LIMITS.maxNameLength) };
  if (body.value !== undefined) {
    const object = checkObject(body.value, '');
    if (!object.ok) return errorResponse(object.error);
    const extra = checkFields(object.value, ['subscriptionId'], '');
    if (extra) return errorResponse(extra);
    const raw = object.value['subscriptionId'];
    if (raw !== undefined) {
      if (typeof raw !== 'string') return errorResponse(invalid('subscriptionId must be a string', 'subscriptionId'));
      const id = checkSubscriptionId(raw, 'subscriptionId');
      if (!id.ok) return errorResponse(id.error);
      scan.subscriptionId = id.value;
    }
  }
  const result = await deps.scan.start(scan);
  if (!result.ok) {
    switch (result.error.code) {
      case 'unknownSubscription':
        return errorResponse({ status: 404, code: 'notFound', message: result.error.message, field: 'subscriptionId' });
      case 'unavailable':
        return errorResponse(unavailable(result.error.message));
      default:
        return assertNever(result.error.code, 'error code');
    }
  }
  return jsonResponse(202, { started: result.started });
}
