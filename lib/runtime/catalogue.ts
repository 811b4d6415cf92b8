/** The rule catalogue as the pipeline, local mode and the API use it. */
import type { EstateEvaluator } from '../pipeline/pipeline.js';
import { RULES, evaluateEstate } from '../rules/index.js';
import type { RuleInfo } from '../api/index.js';

/** Runs the catalogue over the estate (judging only what the scope asks for). */
export const evaluateRules: EstateEvaluator = (estate, options) => evaluateEstate(estate, { only: options.only, serviceTags: options.serviceTags });

/** The catalogue's metadata, for GET /api/rules and the dashboard. */
export function ruleInfos(): readonly RuleInfo[] {
  return RULES.map(({ meta }) => ({
    id: meta.id,
    title: meta.title,
    severity: meta.severity,
    description: meta.description,
    rationale: meta.rationale,
    remediation: meta.remediation,
    references: meta.references,
  }));
}
