/** First-match decisions on concrete flows, for one NSG and for a NIC's subnet + NIC NSGs. */
import type { WitnessFlow } from '../rules/finding.js';
import type { ComposedDecision, EvaluationContext, Flow, FlowDecision, FlowParseResult, Layers, Nsg, RuleRef, SecurityRule } from './types.js';

/** Validates a flow from untrusted input (case-insensitive direction and protocol, port checks). */
export function parseFlow(raw: unknown): FlowParseResult {
  void raw;
  throw new Error('not implemented yet');
}

/** The NSG's verdict: the first rule by priority that matches the flow. */
export function evaluateFlow(nsg: Nsg, flow: Flow, ctx: EvaluationContext): FlowDecision {
  void nsg;
  void flow;
  void ctx;
  throw new Error('not implemented yet');
}

/** Subnet then NIC NSG inbound, NIC then subnet outbound; passes only if each present NSG allows. */
export function evaluateComposed(layers: Layers, flow: Flow): ComposedDecision {
  void layers;
  void flow;
  throw new Error('not implemented yet');
}

/** The reference to a rule used in decisions and evidence. */
export function ruleRef(nsg: Nsg, rule: SecurityRule): RuleRef {
  return {
    nsg: nsg.id,
    nsgName: nsg.name,
    rule: rule.name,
    priority: rule.priority,
    access: rule.access,
    direction: rule.direction,
    isDefault: rule.isDefault,
  };
}

/** A flow in the evidence shape of lib/rules/finding.ts. */
export function toWitness(flow: Flow): WitnessFlow {
  return {
    direction: flow.direction,
    protocol: flow.protocol,
    source: flow.sourceIp,
    sourcePort: flow.sourcePort ?? null,
    destination: flow.destinationIp,
    destinationPort: flow.destinationPort ?? null,
  };
}
