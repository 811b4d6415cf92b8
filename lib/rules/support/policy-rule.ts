/** Rules written as flow policies: the built-in exposure rules and users' own policies. */
import { evaluatePolicy } from '../../policy/evaluate.js';
import type { FlowAssertion, FlowPolicy, PolicySpec } from '../../policy/model.js';
import { builtinPolicy } from '../../policy/parse.js';
import { formatPorts, portIsAll } from '../../nsg/index.js';
import type { Remediation } from '../../verdicts/finding.js';
import type { EffectivePoint, EstateView } from '../../verdicts/view.js';
import type { Rule, RuleMeta } from './types.js';

/**
 * A built-in rule whose check is a policy written in the users' format (validated at load);
 * `points` narrows where it is judged (default: every attachment point).
 */
export function policyRule(meta: Omit<RuleMeta, 'policy'>, spec: PolicySpec, points?: (view: EstateView) => EffectivePoint[]): Rule {
  const compiled = builtinPolicy(spec);
  if (compiled.id !== meta.id || compiled.severity !== meta.severity) {
    throw new Error(`built-in policy ${spec.id} does not match its rule ${meta.id} (id and severity must agree)`);
  }
  const output = { ruleId: meta.id, severity: meta.severity, title: meta.title, remediation: meta.remediation, pathAware: meta.category === 'exposure' };
  return {
    meta: { ...meta, policy: { spec, compiled } },
    evaluate: (view) => (points ? evaluatePolicy(compiled, view, output, points(view)) : evaluatePolicy(compiled, view, output)),
  };
}

/** A user's policy as a rule of the run: its metadata comes from the policy itself. */
export function ruleFromPolicy(policy: FlowPolicy): Rule {
  const remediation = remediationFor(policy.assertions[0]);
  const meta: RuleMeta = {
    id: policy.id,
    title: policy.title,
    severity: policy.severity,
    description: policy.description || `${policy.title}. Assertions: ${policy.assertions.map((a) => `${a.expect} ${a.label}`).join('; ')}.`,
    rationale: policy.description || policy.message,
    remediation,
    references: [policy.source],
    category: 'policy',
  };
  const output = { ruleId: policy.id, severity: policy.severity, title: policy.title, remediation };
  return { meta, evaluate: (view) => evaluatePolicy(policy, view, output) };
}

function remediationFor(assertion: FlowAssertion | undefined): Remediation {
  if (!assertion) return { az: '', bicep: '' };
  const inbound = assertion.direction === 'Inbound';
  const sideFlag = inbound ? '--source-address-prefixes' : '--destination-address-prefixes';
  const sideField = inbound ? 'sourceAddressPrefixes' : 'destinationAddressPrefixes';
  const ports = portIsAll(assertion.ports) ? '*' : formatPorts(assertion.ports).join(' ');
  const protocol = assertion.protocols.length === 1 ? (assertion.protocols[0] ?? '*') : '*';
  if (assertion.expect === 'deny') {
    return {
      az: `az network nsg rule update --resource-group <resource-group> --nsg-name <nsg-name> --name <rule-name> ${sideFlag} <allowed-addresses>`,
      bicep: `// In <nsg-name>, narrow <rule-name> to the addresses the policy allows:\n${sideField}: [\n  '<allowed-addresses>'\n]`,
    };
  }
  return {
    az: `az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name <new-rule-name> --priority <priority-before-rule-name> --direction ${assertion.direction} --access Allow --protocol ${protocol === '*' ? '"*"' : protocol} ${sideFlag} ${assertion.remote.join(' ')} --destination-port-ranges ${ports === '*' ? '"*"' : ports}`,
    bicep: [
      '{',
      "  name: '<new-rule-name>'",
      '  properties: {',
      "    priority: <priority-before-rule-name>",
      `    direction: '${assertion.direction}'`,
      "    access: 'Allow'",
      `    protocol: '${protocol}'`,
      "    sourcePortRange: '*'",
      `    ${sideField}: [ ${assertion.remote.map((r) => `'${r}'`).join(', ')} ]`,
      `    ${inbound ? "destinationAddressPrefix: '*'" : "sourceAddressPrefix: '*'"}`,
      `    destinationPortRanges: [ ${(ports === '*' ? ['*'] : formatPorts(assertion.ports)).map((p) => `'${p}'`).join(', ')} ]`,
      '  }',
      '}',
    ].join('\n'),
  };
}
