/**
 * The HTTP API (DESIGN §1 functions/api): plain request → response handlers shared by the Azure
 * Functions http triggers and the local dev server.
 */
export type { ApiRequest, ApiResponse, ApiError, ApiErrorCode, Checked } from './http.js';
export { MAX_BODY_BYTES, bodyTooLarge, errorResponse, jsonResponse } from './http.js';
export type {
  ApiDeps,
  ApiLog,
  ApiLogLevel,
  DashboardAssets,
  FlowAnswer,
  FlowChecker,
  FlowDecidedBy,
  FlowQuery,
  RuleInfo,
  ScanRequest,
  ScanStart,
  ScanStarter,
} from './types.js';
export { apiEndpoints, createApi, createDashboardSite, dashboardCsp, DASHBOARD_CSP, type Api, type ApiOptions, type DashboardSite } from './router.js';
export { hasRole, localAccess, type AccessDecision, type ApiAccess, type Principal, type Role } from './access.js';
export { APP_ROLES, API_SCOPE, createEntraAccess, type EntraAccessOptions } from './entra.js';
export { LIMITS } from './params.js';
export { parseFindingQuery } from './findings.js';
export { parseNewSuppression } from './suppressions.js';
export { parseFlowBody, parseFlowQuery } from './flow.js';
export { countByRule, transitionTrend, type Summary, type Trend, type TrendPoint } from './summary.js';
