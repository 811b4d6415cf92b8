/** The rule catalogue as local mode and the API use it. */
import type { EstateEvaluator } from '../pipeline/pipeline.js';
import type { RuleInfo } from '../api/index.js';

/** Runs the catalogue over the estate (judging only what the scope asks for). */
export const evaluateRules: EstateEvaluator = () => ({ findings: [], errors: [], judged: [] });

/** The catalogue's metadata, for GET /api/rules and the dashboard. */
export function ruleInfos(): readonly RuleInfo[] {
  return [];
}
