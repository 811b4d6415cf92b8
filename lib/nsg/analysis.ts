/** Exact set analysis: regions of flows split by deciding rules, reachable ports, exposure, shadowing. */
import type {
  Direction,
  EvaluationContext,
  FlowProtocol,
  Nsg,
  PortSet,
  ReachablePorts,
  RegionAnalysis,
  RegionQuery,
  RuleDecision,
  AddressSet,
  Target,
} from './types.js';

/** Splits the query's flows exactly into parts, each with its verdict, deciding rules and a witness. */
export function analyzeRegion(target: Target, query: RegionQuery): RegionAnalysis {
  void target;
  void query;
  throw new Error('not implemented yet');
}

/** Which destination ports the query's flows reach, and from which remote addresses, by which rules. */
export function reachablePorts(target: Target, query: RegionQuery): ReachablePorts {
  void target;
  void query;
  throw new Error('not implemented yet');
}

/** reachablePorts with the remote side set to the context's Internet; `broadPorts` are the exposure. */
export function internetExposure(
  target: Target,
  query: { direction: Direction; protocol: FlowProtocol; local: AddressSet; destinationPorts?: PortSet },
): ReachablePorts {
  void target;
  void query;
  throw new Error('not implemented yet');
}

/** For every rule (custom and default, both directions): does it decide any flow, with a witness or its shadowers. */
export function ruleDecisions(nsg: Nsg, ctx: EvaluationContext): RuleDecision[] {
  void nsg;
  void ctx;
  throw new Error('not implemented yet');
}

/** The custom rules that decide no flow at all. */
export function shadowedRules(nsg: Nsg, ctx: EvaluationContext): RuleDecision[] {
  return ruleDecisions(nsg, ctx).filter((d) => !d.decides && !d.rule.isDefault);
}
