import { shadowedRules, termGap, type EvaluationContext, type RuleDecision, type SecurityRule } from '../nsg/index.js';
import { decidingRule, describeRule, fillRemediation, joinWords, findingOn } from '../verdicts/describe.js';
import type { Finding } from '../verdicts/finding.js';
import { DELETE_RULE, DOCS } from './support/remediation.js';
import { attachmentsOfNsg } from '../estate/relations.js';
import { intentPolicyAuthor, serviceOwningNsg } from '../estate/services.js';
import { documentedFlows, prescribingService } from './support/service-rule.js';
import type { Rule, RuleMeta } from './support/types.js';

const meta: RuleMeta = {
  id: 'NSG-013',
  title: 'Shadowed rule: it decides no flow',
  severity: 'low',
  category: 'hygiene',
  description:
    'Fires for a custom rule that decides no flow at all: rules processed before it (by priority, default rules included) decide every flow it matches, or it can match no flow (ICMP with ports, IPv4 sources with only IPv6 destinations, ...). Decided exactly on address, port and protocol sets in the context of the NSG\'s virtual network. A rule whose application security groups have no known members is not reported (its members may lie outside the estate).',
  rationale:
    'A shadowed rule looks like it does something but never does: an Allow that never applies hides a broken intent (the NAT-gateway remediation that puts Deny-all at 100 before its Allow at 200 is one), a Deny that never applies gives false comfort. A redundancy kept on purpose is not reported: a rule of a service\'s documented rule set on the service\'s subnet (Bastion\'s GatewayManager and AzureLoadBalancer rules behind an Internet-wide 443 rule, which start to matter once 443 is narrowed to chosen addresses; Entra Domain Services\' CorpNetSaw rule), a rule a network intent policy writes (SQL Managed Instance, Databricks), and every rule of an NSG a service owns (AKS\'s node-pool NSG).',
  remediation: {
    az: DELETE_RULE,
    bicep: '// Remove <rule-name> from <nsg-name>, or give it a priority (lower number) before the rules that shadow it',
  },
  references: [DOCS.nsgHowItWorks],
};

function ruleOf(rules: readonly SecurityRule[], name: string): SecurityRule | undefined {
  return rules.find((r) => r.name === name);
}

export const rule: Rule = {
  meta,
  evaluate(view) {
    const findings: Finding[] = [];
    for (const resource of view.wantedNsgs()) {
      const judged = view.nsg(resource.key);
      // An NSG a service writes (AKS's node-pool NSG) is the service's to keep.
      if (!judged || serviceOwningNsg(view.estate, resource.id)) continue;
      const { ctx, notes } = view.nsgContext(resource.key);
      const documented = attachmentsOfNsg(view.relations, resource.id).flatMap((p) => documentedFlows(view.estate, p));
      for (const decision of shadowedRules(judged.nsg, ctx)) {
        if (decision.decides) continue;
        const parsed = ruleOf(decision.rule.direction === 'Inbound' ? judged.nsg.inbound : judged.nsg.outbound, decision.rule.rule);
        if (decision.reason === 'matchesNothing' && parsed && namesUnknownAsg(parsed, ctx)) continue;
        // Rules a network intent policy writes, or that a service's documented rule set prescribes, stay.
        if (intentPolicyAuthor(decision.rule.rule) || (parsed && prescribingService(documented, parsed))) continue;
        findings.push(findingOf(resource.id, resource.name, decision, notes));
      }
    }
    return findings;
  },
};

/** A rule naming an ASG with no known member matches nothing here, but its members may lie outside the estate. */
function namesUnknownAsg(rule: SecurityRule, ctx: EvaluationContext): boolean {
  return [...rule.source, ...rule.destination].some((term) => termGap(term, ctx)?.kind === 'emptyAsg');
}

function findingOf(nsgId: string, nsgName: string, decision: Extract<RuleDecision, { decides: false }>, notes: readonly string[]): Finding {
  const ref = decision.rule;
  const what = `Rule ${ref.rule} (priority ${ref.priority}, ${ref.direction.toLowerCase()}, ${ref.access}) of NSG ${nsgName}`;
  const why =
    decision.reason === 'shadowed'
      ? `is shadowed: ${joinWords(decision.shadowedBy.map(describeRule))} ${decision.shadowedBy.length > 1 ? 'decide' : 'decides'} every flow it matches, so it never takes effect`
      : 'matches no flow at all, so it never takes effect';
  return findingOn(meta, { id: nsgId, name: nsgName }, {
    scope: ref.rule,
    message: `${what} ${why}`,
    evidence: {
      rule: { nsg: nsgId, name: ref.rule, priority: ref.priority, direction: ref.direction, access: ref.access },
      reason: decision.reason,
      shadowedBy: decision.shadowedBy.map(decidingRule),
      ...(notes.length > 0 ? { assumptions: [...notes] } : {}),
    },
    remediation: fillRemediation(meta.remediation, { nsgId, ruleName: ref.rule }),
  });
}
