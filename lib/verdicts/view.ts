/**
 * What every rule reads: the estate and its relations, the NSGs parsed by the engine (once), one
 * engine context per virtual network, the effective policy at each attachment point (DESIGN §4),
 * and region analyses memoised per (subnet NSG, NIC NSG, virtual network) so NICs that share an
 * NSG pair share the work. Pure: no I/O, no clock.
 */
import type { Estate, NetworkSecurityGroup, Subnet } from '../estate/model.js';
import {
  relateEstate,
  subnetPoint,
  type AttachmentPoint,
  type EstateRelations,
  type VirtualNetworkScope,
} from '../estate/relations.js';
import {
  addressUnion,
  DEFAULT_BROAD_THRESHOLD,
  NO_ADDRESS,
  type AddressSet,
  type Direction,
  type EvaluationContext,
  type FlowProtocol,
  type Layers,
  type Nsg,
  type PortSet,
  type RegionAnalysis,
  type ServiceTagData,
} from '../nsg/index.js';
import { createAnalyses, type Question } from './analyses.js';
import { createContextCache, createNsgCache } from './caches.js';
import { createAdminCache, type AdminAt } from './admin.js';
import { effectivePointOf } from './points.js';
import { invalidInputs, type UnjudgedResource } from './unjudged.js';
import { type ResourceError } from './finding.js';
import { normalizeId } from '../arm/index.js';

export interface RuleSettings {
  /** "Reachable from the Internet": strictly more remote addresses than this (DESIGN §3). */
  broadThreshold: { ipv4: number; ipv6: bigint };
}

export const DEFAULT_RULE_SETTINGS: RuleSettings = { broadThreshold: DEFAULT_BROAD_THRESHOLD };

/** An NSG that passed the engine's validation. */
export interface JudgedNsg {
  resource: NetworkSecurityGroup;
  nsg: Nsg;
}

export type ParsedNsg = { ok: true; value: JudgedNsg } | { ok: false; errors: readonly ResourceError[] };

/** The effective policy at one attachment point: the NSGs that guard it, parsed, in their context. */
export interface EffectivePoint {
  point: AttachmentPoint;
  /** Unique among points (a NIC in two subnets has two points). */
  key: string;
  layers: Layers;
  /** The NSGs present at the point, subnet first. */
  nsgs: JudgedNsg[];
  ctx: EvaluationContext;
  /** The resource's own addresses: a NIC's IPs, a subnet's range, or every IP when unknown. */
  local: AddressSet;
  /** Points with the same key share analyses: same NSGs, same virtual network. */
  pairKey: string;
  /** What the verdict at this point rests on (defaults, unknown layers, ...). */
  notes: string[];
  /** An NSG here failed validation: the effective policy is unknown, so the point is not judged. */
  blocked: boolean;
  /** Why the point is not judged (empty when it is): each input it needs that failed validation. */
  unjudged: string[];
}

/** A remote side resolved in a context, with a key that names it across contexts. */
export interface RemoteSide {
  key: string;
  set: AddressSet;
}

/** A region analysis shared by the points of one NSG pair. */
export interface PairAnalysis {
  analysis: RegionAnalysis;
  /** The local addresses it covers (every point's of the pair). */
  local: AddressSet;
  /** Per part: it spans all of `local`, so it concerns every point of the pair. */
  spansLocal: readonly boolean[];
}

export interface EstateView {
  estate: Estate;
  relations: EstateRelations;
  settings: RuleSettings;
  serviceTags: ServiceTagData | undefined;
  /** True when findings on this resource (normalised id) may be produced. */
  wants(key: string): boolean;
  /** The parsed NSG; undefined when it failed validation or is not in the estate. */
  nsg(key: string): JudgedNsg | undefined;
  /** An NSG of the estate parsed by the engine (once), or why it failed validation. */
  parsed(resource: NetworkSecurityGroup): ParsedNsg;
  /** Every NSG of the estate that the rules may report on (wanted), parsed or not. */
  wantedNsgs(): NetworkSecurityGroup[];
  /** Attachment points where at least one wanted NSG takes part, plus those of wanted subnets/NICs. */
  points(): EffectivePoint[];
  /** A subnet's own NSG judged alone at the subnet's addresses (NAT-002); undefined without a valid NSG. */
  subnetAlone(subnet: Subnet): EffectivePoint | undefined;
  /** The engine context of a virtual network scope, with the notes the estate adds. */
  contextFor(scope: VirtualNetworkScope): { ctx: EvaluationContext; notes: string[] };
  /** The security admin rules of a virtual network scope, as a layer in a context (DESIGN §3 "Composition"). */
  adminRules(scope: VirtualNetworkScope, ctx: EvaluationContext): AdminAt;
  /** An NSG judged on its own (shadowing): the one VirtualNetwork it sees, else the default. */
  nsgContext(key: string): { ctx: EvaluationContext; notes: string[] };
  /** Names and CIDRs (as a policy writes them) resolved in a context, minus `except`. */
  remote(ctx: EvaluationContext, names: readonly string[], except?: readonly string[]): RemoteSide;
  /**
   * The region analysis of a point's effective policy for flows with `remote`, memoised per
   * NSG pair: parts cover the local addresses of every point of the pair (filter by the point's own).
   */
  analyze(point: EffectivePoint, direction: Direction, protocol: FlowProtocol, remote: RemoteSide, ports?: PortSet): PairAnalysis;
  /**
   * Destination ports at which the point's NSGs could let a broad part of `remote` through: per
   * NSG, the ports where the Allow rules' remote sides together are broad (priorities ignored),
   * intersected over the NSGs. An upper bound, so broad exposures outside it cannot exist.
   */
  broadPorts(point: EffectivePoint, direction: Direction, protocol: FlowProtocol, remote: RemoteSide): PortSet;
  /**
   * Destination ports at which custom rules could let a broad part of `remote` through: where the
   * custom Allow rules of the point's NSGs, with the admin rules' AlwaysAllow ones, together are
   * broad (priorities ignored). An upper bound for assertions that blame custom rules only.
   */
  customBroadPorts(point: EffectivePoint, direction: Direction, protocol: FlowProtocol, remote: RemoteSide): PortSet;
  /**
   * The destination ports the run's rules ask about flows in this direction and protocol with
   * this remote side, together (ViewOptions.questions); every port when none said.
   */
  askedPorts(direction: Direction, protocol: FlowProtocol, remote: RemoteSide): PortSet;
  /**
   * A rule has finished (`index`: its place in the run's rules, as the questions' askers are
   * numbered): region analyses that no rule asked for during it or the rule before are let go
   * (asked again, they are computed again, with the same answer), but for the questions a rule
   * after `index` will ask.
   */
  endRule(index?: number): void;
  /** Security admin rules whose verdicts are complete (findings on them may resolve). */
  judgedAdminRules(): string[];
  /** Validation failures of the NSGs parsed so far. */
  errors(): ResourceError[];
  /** NSGs that take part at a blocked point: their verdicts there are unknown. */
  partiallyJudged(): ReadonlySet<string>;
  /** Wanted NSGs, subnets and NICs with a verdict that rests on input that failed validation, and why. */
  unjudged(): ReadonlyMap<string, UnjudgedResource>;
}

export interface ViewOptions {
  /** Normalised ids of the NSGs, subnets and NICs to report on; absent: everything. */
  only?: ReadonlySet<string>;
  serviceTags?: ServiceTagData;
  settings?: Partial<RuleSettings>;
  /** The questions the run's rules will ask: an analysis then covers all their ports at once. */
  questions?: readonly Question[];
}

export function createEstateView(estate: Estate, options: ViewOptions = {}): EstateView {
  const relations = relateEstate(estate);
  const settings: RuleSettings = { ...DEFAULT_RULE_SETTINGS, ...options.settings };
  const only = options.only ? new Set([...options.only].map(normalizeId)) : undefined;
  const wants = (key: string): boolean => only === undefined || only.has(key);

  const { parse, parsedSoFar } = createNsgCache();
  const { contextFor, nsgContext } = createContextCache(relations, settings, options.serviceTags);

  const partial = new Set<string>();
  let built: EffectivePoint[] | undefined;
  const localByPair = new Map<string, AddressSet>();

  const invalid = invalidInputs(estate);
  const admin = createAdminCache(estate);
  const effectivePoint = (point: AttachmentPoint): EffectivePoint => effectivePointOf(point, parse, contextFor, invalid.problemsAt, admin.adminAt);

  const points = (): EffectivePoint[] => {
    if (built) return built;
    built = [];
    for (const point of relations.attachments) {
      const slotKeys = [point.subnetNsg, point.nicNsg].flatMap((s) => (s.state === 'present' ? [s.key] : []));
      const relevant =
        only === undefined ||
        slotKeys.some((k) => only.has(k)) ||
        only.has(point.key) ||
        (point.subnetId !== undefined && only.has(normalizeId(point.subnetId)));
      if (!relevant) continue;
      const effective = effectivePoint(point);
      built.push(effective);
      if (effective.blocked) {
        for (const judged of effective.nsgs) partial.add(judged.resource.key);
        continue;
      }
      localByPair.set(effective.pairKey, addressUnion(localByPair.get(effective.pairKey) ?? NO_ADDRESS, effective.local));
    }
    return built;
  };

  const subnetAlone = (subnet: Subnet): EffectivePoint | undefined => {
    const ref = subnet.networkSecurityGroup;
    const resource = ref ? estate.networkSecurityGroups.get(ref.key) : undefined;
    if (!resource) return undefined;
    const point = subnetPoint(
      subnet,
      { state: 'present', id: resource.id, key: resource.key, nsg: resource },
      relations.subnetScope(subnet),
    );
    const effective = effectivePoint(point);
    return effective.blocked ? undefined : { ...effective, key: `alone|${effective.key}` };
  };

  const { remote, analyze, broadPorts, customBroadPorts, askedPorts, endRule } = createAnalyses(points, (pairKey) => localByPair.get(pairKey) ?? NO_ADDRESS, options.questions);

  const errors = (): ResourceError[] => [...parsedSoFar().flatMap((r) => (r.ok ? [] : r.errors)), ...admin.errors()];

  return {
    estate,
    relations,
    settings,
    serviceTags: options.serviceTags,
    wants,
    nsg: (key) => {
      const resource = estate.networkSecurityGroups.get(key);
      if (!resource) return undefined;
      const result = parse(resource);
      return result.ok ? result.value : undefined;
    },
    parsed: parse,
    wantedNsgs: () => [...estate.networkSecurityGroups.values()].filter((n) => wants(n.key)),
    points,
    subnetAlone,
    contextFor,
    adminRules: admin.adminAt,
    judgedAdminRules: () => {
      points();
      return admin.judgedRules().filter(wants);
    },
    nsgContext,
    remote,
    analyze,
    broadPorts,
    customBroadPorts,
    askedPorts,
    endRule,
    errors,
    partiallyJudged: () => {
      points();
      for (const key of estate.networkSecurityGroups.keys()) if (invalid.failedNsgReasons(key).length > 0) partial.add(key);
      return partial;
    },
    unjudged: () => invalid.unjudged(points(), wants),
  };
}
