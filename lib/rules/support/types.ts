/** The shape of a compliance rule: `{ meta, evaluate }` with a pure `evaluate`. */
import type { FlowPolicy, PolicySpec } from '../../policy/model.js';
import type { Finding, Remediation, Severity } from '../../verdicts/finding.js';
import type { EstateView } from '../../verdicts/view.js';

/** Where a rule comes from in the catalogue's grouping. */
export type RuleCategory = 'exposure' | 'coverage' | 'hygiene' | 'nat' | 'bastion' | 'service' | 'policy';

export interface RuleMeta {
  id: string;
  title: string;
  severity: Severity;
  /** What the rule checks, exactly. */
  description: string;
  /** Why it matters. */
  rationale: string;
  /**
   * How to fix it: an `az network ...` command and a Bicep snippet. Placeholders in angle
   * brackets (`<resource-group>`, `<nsg-name>`, `<rule-name>`, `<subnet-name>`, `<vnet-name>`,
   * `<nic-name>`) are filled in each finding with the resource's own names.
   */
  remediation: Remediation;
  /** CIS Microsoft Azure Foundations Benchmark controls ("CIS Azure 7.1") and documentation URLs. */
  references: readonly string[];
  category: RuleCategory;
  /** Rules written as a flow policy: the written form (rendered in the catalogue) and the validated one. */
  policy?: { spec: PolicySpec; compiled: FlowPolicy };
}

/**
 * What a rule reads: the estate and its relations, the engine contexts (one per virtual
 * network), the settings, and `wants(id)` — the resources it may report on.
 */
export type RuleInput = EstateView;

export interface Rule {
  meta: RuleMeta;
  evaluate(input: RuleInput): Finding[];
}
