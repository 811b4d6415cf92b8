/**
 * What the view computes once and every rule reuses: each NSG parsed by the engine, and one engine
 * context per virtual network (what VirtualNetwork, the ASGs and the service tags mean there).
 */
import type { NetworkSecurityGroup } from '../estate/model.js';
import {
  asgAddresses,
  contextInputs,
  nsgVirtualNetworkScope,
  type EstateRelations,
  type VirtualNetworkScope,
} from '../estate/relations.js';
import { createContext, parseNsg, type EvaluationContext, type ServiceTagData } from '../nsg/index.js';
import type { ParsedNsg, RuleSettings } from './view.js';

export interface NsgCache {
  parse(resource: NetworkSecurityGroup): ParsedNsg;
  /** Every NSG parsed so far, valid or not. */
  parsedSoFar(): ParsedNsg[];
}

export function createNsgCache(): NsgCache {
  const parsed = new Map<string, ParsedNsg>();
  const parse = (resource: NetworkSecurityGroup): ParsedNsg => {
    let result = parsed.get(resource.key);
    if (!result) {
      const outcome = parseNsg(resource.raw, { id: resource.id });
      result = outcome.ok ? { ok: true, value: { resource, nsg: outcome.nsg } } : { ok: false, errors: outcome.errors };
      parsed.set(resource.key, result);
    }
    return result;
  };

  return { parse, parsedSoFar: () => [...parsed.values()] };
}

export interface ContextCache {
  contextFor(scope: VirtualNetworkScope): { ctx: EvaluationContext; notes: string[] };
  nsgContext(key: string): { ctx: EvaluationContext; notes: string[] };
}

export function createContextCache(relations: EstateRelations, settings: RuleSettings, serviceTags: ServiceTagData | undefined): ContextCache {
  const asg = asgAddresses(relations);
  const contexts = new Map<string, EvaluationContext>();
  const scopeContexts = new Map<string, { ctx: EvaluationContext; notes: string[] }>();
  const contextFor = (scope: VirtualNetworkScope): { ctx: EvaluationContext; notes: string[] } => {
    const key = scope.kind === 'known' ? scope.key : '';
    const scopeKey = scope.kind === 'known' ? key : `?${scope.reason}`;
    const known = scopeContexts.get(scopeKey);
    if (known) return known;
    const inputs = contextInputs(relations, scope);
    let ctx = contexts.get(key);
    if (!ctx) {
      ctx = createContext({
        ...(inputs.virtualNetworkPrefixes ? { virtualNetworkPrefixes: inputs.virtualNetworkPrefixes } : {}),
        ...(inputs.routePrefixes ? { routePrefixes: inputs.routePrefixes } : {}),
        asgAddresses: asg,
        ...(serviceTags ? { serviceTags } : {}),
        broadThreshold: settings.broadThreshold,
      });
      contexts.set(key, ctx);
    }
    const entry = { ctx, notes: [...inputs.notes, ...ctx.assumptions, ...ctx.problems] };
    scopeContexts.set(scopeKey, entry);
    return entry;
  };

  const nsgContexts = new Map<string, { ctx: EvaluationContext; notes: string[] }>();
  const nsgContext = (key: string) => {
    let entry = nsgContexts.get(key);
    if (!entry) {
      const scope = nsgVirtualNetworkScope(relations, key);
      const { ctx, notes } = contextFor(scope);
      entry = { ctx, notes: scope.kind === 'unknown' ? [...notes, `VirtualNetwork unknown: ${scope.reason}`] : notes };
      entry.notes = [...new Set(entry.notes)];
      nsgContexts.set(key, entry);
    }
    return entry;
  };

  return { contextFor, nsgContext };
}
