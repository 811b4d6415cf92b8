/**
 * The rule catalogue and its evaluation: every rule of DESIGN §4 as `{ meta, evaluate }` (one
 * file per rule, named by its id), users' policies beside them, and evaluateEstate. Pure.
 */
export type { Rule, RuleCategory, RuleInput, RuleMeta } from './support/types.js';
export { RULES } from './catalogue.js';
export { evaluateEstate, prepareEvaluation, compareFindings, type Evaluation, type EvaluateOptions, type EvaluateOutput, type RuleRun } from './support/evaluate.js';
export { ruleFromPolicy, policyRule } from './support/policy-rule.js';
export { createEstateView, DEFAULT_RULE_SETTINGS, type EstateView, type EffectivePoint, type RuleSettings } from '../verdicts/view.js';
export * from '../verdicts/finding.js';
