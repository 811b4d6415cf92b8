/**
 * The Virtual Network Manager security admin rules at each attachment point: the rules that apply
 * to its virtual network (lib/estate/security-admin.ts), parsed by the engine once, as the layer
 * Azure evaluates before every NSG (DESIGN §3 "Composition";
 * https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins). A rule that
 * fails validation leaves the network's verdicts not judged: its action could be any of the three.
 */
import { normalizeId } from '../arm/index.js';
import type { Estate, VirtualNetwork } from '../estate/model.js';
import type { VirtualNetworkScope } from '../estate/relations.js';
import { appliedRule, securityAdminRelations, subnetGroupWarnings, type AppliedAdminRule } from '../estate/security-admin.js';
import {
  adminRuleSet,
  parseAdminRule,
  type AdminRule,
  type AdminRuleSet,
  type EvaluationContext,
  type Layer,
  type ResourceError,
} from '../nsg/index.js';

/** The admin rules at a point. */
export interface AdminAt {
  /** Absent when no admin rule applies (or they are not known). */
  layer: Layer | undefined;
  /** Names the rule set: points with equal keys have the same admin rules. */
  key: string;
  notes: string[];
  /** Why the admin rules are not known (the point is not judged); empty when they are. */
  unjudged: string[];
}

export interface AdminCache {
  adminAt(scope: VirtualNetworkScope, ctx: EvaluationContext): AdminAt;
  /** Every admin rule of the estate that failed validation. */
  errors(): ResourceError[];
  /**
   * Normalised ids of the admin rules whose verdicts are complete: valid, and in no network (of
   * those judged so far) whose admin rules are not all known. Findings on them may resolve.
   */
  judgedRules(): string[];
}

interface NetworkSet {
  set: AdminRuleSet | undefined;
  key: string;
  notes: string[];
  unjudged: string[];
}

const NONE: AdminAt = { layer: undefined, key: '-', notes: [], unjudged: [] };

export function createAdminCache(estate: Estate): AdminCache {
  const relationsOf = securityAdminRelations(estate);
  const parsed = new Map<string, { ok: true; rule: AdminRule } | { ok: false; errors: ResourceError[] }>();
  const parse = (applied: AppliedAdminRule) => {
    const memoKey = `${applied.key}|${applied.manager.id}`;
    let result = parsed.get(memoKey);
    if (!result) {
      const outcome = parseAdminRule({ ...applied.raw, id: applied.id });
      result = outcome.ok
        ? { ok: true, rule: { ...outcome.rule, origin: { id: applied.id, manager: applied.manager.id, configuration: applied.configuration.id, collection: applied.collection.id } } }
        : outcome;
      parsed.set(memoKey, result);
    }
    return result;
  };
  const networks = new Map<string, NetworkSet>();
  const incomplete = new Set<string>();
  const setKeys = new Map<string, string>();
  const networkSet = (network: VirtualNetwork | undefined, key: string): NetworkSet => {
    let entry = networks.get(key);
    if (entry) return entry;
    const applies = relationsOf(network, key);
    const rules: AdminRule[] = [];
    const unjudged = [...applies.unknown];
    for (const applied of applies.rules) {
      const result = parse(applied);
      if (result.ok) rules.push(result.rule);
      else unjudged.push(`security admin rule ${applied.name} (collection ${applied.collection.name}) failed validation`);
    }
    const ids = rules.map((r) => normalizeId(r.id)).sort();
    if (unjudged.length > 0) for (const id of ids) incomplete.add(id);
    // Points share analyses by key: a short name per distinct rule set keeps the analysis keys small.
    const setKey = ids.join(',');
    let short = setKeys.get(setKey);
    if (short === undefined) setKeys.set(setKey, (short = `a${setKeys.size}`));
    entry = {
      set: rules.length > 0 ? adminRuleSet(`${network?.id ?? key}#securityAdminRules`, `security admin rules of ${network?.name ?? key}`, rules) : undefined,
      key: rules.length > 0 ? short : '-',
      notes: applies.notes,
      unjudged,
    };
    networks.set(key, entry);
    return entry;
  };
  const layers = new WeakMap<EvaluationContext, Map<string, AdminAt>>();
  const adminAt = (scope: VirtualNetworkScope, ctx: EvaluationContext): AdminAt => {
    const network = scope.kind === 'known' ? scope.virtualNetwork : undefined;
    const key = scope.kind === 'known' ? scope.virtualNetwork.key : scope.virtualNetworkId !== undefined ? normalizeId(scope.virtualNetworkId) : undefined;
    if (key === undefined) return NONE;
    let byCtx = layers.get(ctx);
    if (!byCtx) layers.set(ctx, (byCtx = new Map()));
    const known = byCtx.get(key);
    if (known) return known;
    const entry = networkSet(network, key);
    const at: AdminAt = { layer: entry.set ? { nsg: entry.set, ctx } : undefined, key: entry.key, notes: entry.notes, unjudged: entry.unjudged };
    byCtx.set(key, at);
    return at;
  };
  const allRules = (): AppliedAdminRule[] => {
    const admin = estate.securityAdmin;
    if (!admin) return [];
    return [
      ...[...admin.rules.values()].map((r) => appliedRule(r.id, r.ruleKind, r.raw)),
      ...[...admin.effective.values()].flatMap((list) => list.rules.map((r) => appliedRule(r.id, r.ruleKind, r.raw))),
      ...admin.active.map((entry) => appliedRule(entry.rule.id, entry.rule.ruleKind, entry.rule.raw)),
    ];
  };
  const errors = (): ResourceError[] => {
    const all = allRules();
    const seen = new Set<string>();
    const out: ResourceError[] = [...subnetGroupWarnings(estate)];
    for (const applied of all) {
      const result = parse(applied);
      if (result.ok) continue;
      for (const error of result.errors) {
        const id = `${error.resourceId}|${error.field}|${error.message}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push(error);
      }
    }
    return out;
  };
  const judgedRules = (): string[] => [...new Set(allRules().filter((r) => parse(r).ok && !incomplete.has(r.key)).map((r) => r.key))];
  return { adminAt, errors, judgedRules };
}
