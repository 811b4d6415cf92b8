/**
 * What every rule reads: the estate and its relations, the NSGs parsed by the engine (once), one
 * engine context per virtual network, the effective policy at each attachment point (DESIGN §4),
 * and region analyses memoised per (subnet NSG, NIC NSG, virtual network) so NICs that share an
 * NSG pair share the work. Pure: no I/O, no clock.
 */
import type { Estate, NetworkSecurityGroup, Subnet } from '../estate/model.js';
import {
  asgAddresses,
  contextInputs,
  nsgVirtualNetworkScope,
  relateEstate,
  subnetPoint,
  type AttachmentPoint,
  type EstateRelations,
  type NsgSlot,
  type VirtualNetworkScope,
} from '../estate/relations.js';
import {
  ALL_PORTS,
  NO_ADDRESS,
  NO_PORTS,
  addressDifference,
  addressIntersect,
  isBroad,
  portIntersect,
  portIsEmpty,
  portUnion,
  type AddressTerm,
  addressIsEmpty,
  addressIsSubset,
  addressUnion,
  addressUnionAll,
  addressesFromPrefixes,
  analyzeRegion,
  createContext,
  namedSet,
  parseAddressPrefix,
  parseNsg,
  portIsSubset,
  type AddressSet,
  type Direction,
  type EvaluationContext,
  type FlowProtocol,
  type Layer,
  type Layers,
  type Nsg,
  type PortSet,
  type RegionAnalysis,
  type ServiceTagData,
} from '../nsg/index.js';
import { normalizeId, type ResourceError } from './finding.js';
import { portSegments } from './segments.js';

export interface RuleSettings {
  /** "Reachable from the Internet": strictly more remote addresses than this (DESIGN §3). */
  broadThreshold: { ipv4: number; ipv6: bigint };
}

export const DEFAULT_RULE_SETTINGS: RuleSettings = { broadThreshold: { ipv4: 2 ** 24, ipv6: 1n << 96n } };

/** An NSG that passed the engine's validation. */
export interface JudgedNsg {
  resource: NetworkSecurityGroup;
  nsg: Nsg;
}

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
  /** Every NSG of the estate that the rules may report on (wanted), parsed or not. */
  wantedNsgs(): NetworkSecurityGroup[];
  /** Attachment points where at least one wanted NSG takes part, plus those of wanted subnets/NICs. */
  points(): EffectivePoint[];
  /** A subnet's own NSG judged alone at the subnet's addresses (NAT-002); undefined without a valid NSG. */
  subnetAlone(subnet: Subnet): EffectivePoint | undefined;
  /** The engine context of a virtual network scope, with the notes the estate adds. */
  contextFor(scope: VirtualNetworkScope): { ctx: EvaluationContext; notes: string[] };
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
  /** Validation failures of the NSGs parsed so far. */
  errors(): ResourceError[];
  /** NSGs that take part at a blocked point: their verdicts there are unknown. */
  partiallyJudged(): ReadonlySet<string>;
  /** Wanted NSGs, subnets and NICs with a verdict that rests on input that failed validation, and why. */
  unjudged(): ReadonlyMap<string, { id: string; kind: 'networkSecurityGroup' | 'subnet' | 'networkInterface'; reasons: string[] }>;
}

export interface ViewOptions {
  /** Normalised ids of the NSGs, subnets and NICs to report on; absent: everything. */
  only?: ReadonlySet<string>;
  serviceTags?: ServiceTagData;
  settings?: Partial<RuleSettings>;
}

const ALL_IPS = addressesFromPrefixes(['0.0.0.0/0', '::/0']).set;

export function createEstateView(estate: Estate, options: ViewOptions = {}): EstateView {
  const relations = relateEstate(estate);
  const settings: RuleSettings = { ...DEFAULT_RULE_SETTINGS, ...options.settings };
  const only = options.only ? new Set([...options.only].map(normalizeId)) : undefined;
  const wants = (key: string): boolean => only === undefined || only.has(key);
  const asg = asgAddresses(relations);

  const parsed = new Map<string, { ok: true; value: JudgedNsg } | { ok: false; errors: readonly ResourceError[] }>();
  const parse = (resource: NetworkSecurityGroup) => {
    let result = parsed.get(resource.key);
    if (!result) {
      const outcome = parseNsg(resource.raw, { id: resource.id });
      result = outcome.ok ? { ok: true, value: { resource, nsg: outcome.nsg } } : { ok: false, errors: outcome.errors };
      parsed.set(resource.key, result);
    }
    return result;
  };

  const contexts = new Map<string, EvaluationContext>();
  const scopeContexts = new Map<string, { ctx: EvaluationContext; notes: string[] }>();
  const contextFor = (scope: VirtualNetworkScope): { ctx: EvaluationContext; notes: string[] } => {
    const key = scope.kind === 'known' ? scope.virtualNetwork.key : '';
    const scopeKey = scope.kind === 'known' ? key : `?${scope.reason}`;
    const known = scopeContexts.get(scopeKey);
    if (known) return known;
    const inputs = contextInputs(relations, scope);
    let ctx = contexts.get(key);
    if (!ctx) {
      ctx = createContext({
        ...(inputs.virtualNetworkPrefixes ? { virtualNetworkPrefixes: inputs.virtualNetworkPrefixes } : {}),
        asgAddresses: asg,
        ...(options.serviceTags ? { serviceTags: options.serviceTags } : {}),
        broadThreshold: settings.broadThreshold,
      });
      contexts.set(key, ctx);
    }
    const entry = { ctx, notes: [...inputs.notes, ...ctx.assumptions, ...ctx.problems] };
    scopeContexts.set(scopeKey, entry);
    return entry;
  };

  // Input that failed validation, and what named it: verdicts that need it are not judged.
  const invalid = estate.invalid ?? new Map<string, never>();
  const invalidChildren = new Map<string, string[]>();
  const namedByInvalid = new Map<string, string[]>();
  let unreadableReference: string | undefined;
  // A NAT gateway or Bastion that failed validation: which subnets it serves is unknown, so the
  // subnets it names are not judged (NAT-001, NAT-002), nor any network a Bastion serves (BAS-*).
  const subnetsNamedByInvalid = new Map<string, string>();
  const networksServedByInvalid = new Map<string, string>();
  for (const bad of invalid.values()) {
    const what = `${bad.kind} ${nameOfKey(bad.key)}`;
    // A NIC IP configuration that failed: the NIC's NSG and the subnet it names (any subnet's NSG,
    // when it names none that can be read) miss their verdict at that NIC.
    // A NIC that failed likewise (its own NSG is in nsgReferences).
    if ((bad.kind === 'networkInterfaceIpConfiguration' && bad.parentKey !== undefined) || bad.kind === 'networkInterface') {
      const nicNsg = bad.parentKey === undefined ? undefined : estate.networkInterfaces.get(bad.parentKey)?.networkSecurityGroup?.key;
      if (nicNsg !== undefined) namedByInvalid.set(nicNsg, [...(namedByInvalid.get(nicNsg) ?? []), what]);
      const subnets = bad.references.filter((ref) => ref.includes('/subnets/'));
      if (subnets.length === 0) unreadableReference ??= what;
      for (const ref of subnets) subnetsNamedByInvalid.set(ref, what);
    }
    // A Bastion's own subnet that failed: which networks the Bastion serves, and from where, is unknown.
    if (bad.kind === 'subnet' && bad.parentKey !== undefined && nameOfKey(bad.key) === 'azurebastionsubnet') networksServedByInvalid.set(bad.parentKey, what);
    if (bad.kind === 'bastionHost' && !bad.references.some((ref) => ref.includes('/subnets/'))) {
      // Its subnet cannot be read: it may be in any network with an AzureBastionSubnet.
      for (const subnet of estate.subnets.values()) {
        if (subnet.name.toLowerCase() === 'azurebastionsubnet') networksServedByInvalid.set(subnet.virtualNetwork.key, what);
      }
    }
    if (bad.kind === 'natGateway' || bad.kind === 'bastionHost') {
      for (const ref of bad.references) {
        if (!ref.includes('/subnets/') || ref === bad.key) continue;
        subnetsNamedByInvalid.set(ref, what);
        if (bad.kind === 'bastionHost') networksServedByInvalid.set(ref.slice(0, ref.indexOf('/subnets/')), what);
      }
    }
    if (bad.parentKey !== undefined) invalidChildren.set(bad.parentKey, [...(invalidChildren.get(bad.parentKey) ?? []), what]);
    // Any NSG its input names (a network's subnets', a NIC's) misses what it would have judged there.
    const namedNsgs = bad.references.filter((ref) => ref.includes('/providers/microsoft.network/networksecuritygroups/') && !ref.includes('/securityrules/') && ref !== bad.key);
    for (const nsgKey of [...new Set([...bad.nsgReferences, ...namedNsgs])]) {
      if (nsgKey === '*') unreadableReference ??= what;
      else namedByInvalid.set(nsgKey, [...(namedByInvalid.get(nsgKey) ?? []), what]);
    }
  }
  const failedNsgReasons = (key: string): string[] => [
    ...(namedByInvalid.get(key) ?? []).map((what) => `${what}, which names this NSG, failed validation`),
    ...(unreadableReference !== undefined ? [`${unreadableReference} failed validation and which NSG it names cannot be read`] : []),
  ];
  const dependencyProblems = (point: AttachmentPoint): string[] => {
    const reasons: string[] = [];
    if (invalid.has(point.key) && point.kind !== 'unattached') reasons.push(`${point.kind} ${point.name} failed validation`);
    if (point.subnetId !== undefined && invalid.has(normalizeId(point.subnetId))) reasons.push(`subnet ${nameOfKey(point.subnetId)} failed validation`);
    const namedBy = point.subnetId !== undefined ? subnetsNamedByInvalid.get(normalizeId(point.subnetId)) : undefined;
    if (namedBy !== undefined) reasons.push(`${namedBy}, which names subnet ${nameOfKey(point.subnetId ?? '')}, failed validation`);
    if (point.kind === 'networkInterface') {
      for (const what of invalidChildren.get(point.key) ?? []) reasons.push(`${what} of NIC ${point.name} failed validation`);
    }
    const scope = point.virtualNetwork;
    const vnetKey = scope.kind === 'known' ? scope.virtualNetwork.key : scope.virtualNetworkId !== undefined ? normalizeId(scope.virtualNetworkId) : undefined;
    const served = [vnetKey, ...(scope.kind === 'known' ? scope.peers.map((p) => p.key) : [])].flatMap((k) => {
      const by = k === undefined ? undefined : networksServedByInvalid.get(k);
      return by === undefined ? [] : [`${by}, which serves virtual network ${nameOfKey(k ?? '')}, failed validation`];
    });
    reasons.push(...served);
    // What a peered network brings (its address space, a Bastion that serves this one) is unknown too.
    if (scope.kind === 'known') {
      for (const peer of scope.peers) if (invalid.has(peer.key)) reasons.push(`peered virtual network ${nameOfKey(peer.key)} failed validation`);
    }
    if (vnetKey !== undefined) {
      if (invalid.has(vnetKey)) reasons.push(`virtual network ${nameOfKey(vnetKey)} failed validation`);
      for (const what of invalidChildren.get(vnetKey) ?? []) {
        if (what.startsWith('virtualNetworkPeering ')) reasons.push(`${what} of virtual network ${nameOfKey(vnetKey)} failed validation: VirtualNetwork is not known`);
      }
    }
    if (point.kind === 'unattached') reasons.push(...failedNsgReasons(point.key));
    return reasons;
  };
  /** NSGs at the point that failed the loader's validation (the engine's are found when parsing). */
  const invalidNsgsAt = (point: AttachmentPoint): string[] =>
    [point.subnetNsg, point.nicNsg].flatMap((slot) => (slot.state === 'missing' && invalid.has(slot.key) ? [`NSG ${nameOfKey(slot.key)} failed validation`] : []));

  const partial = new Set<string>();
  let built: EffectivePoint[] | undefined;
  const localByPair = new Map<string, AddressSet>();

  const effectivePoint = (point: AttachmentPoint): EffectivePoint => {
    const { ctx, notes } = contextFor(point.virtualNetwork);
    const pointNotes = [...notes];
    const layers: { subnet?: Layer; nic?: Layer } = {};
    const nsgs: JudgedNsg[] = [];
    const unjudged = [...dependencyProblems(point), ...invalidNsgsAt(point)];
    for (const side of ['subnet', 'nic'] as const) {
      const slot: NsgSlot = side === 'subnet' ? point.subnetNsg : point.nicNsg;
      const where = point.kind === 'unattached' ? 'the NSG' : side === 'subnet' ? 'the subnet' : 'the NIC';
      switch (slot.state) {
        case 'none':
          break;
        case 'present': {
          const result = parse(slot.nsg);
          if (!result.ok) {
            unjudged.push(`NSG ${slot.nsg.name} failed validation`);
            break;
          }
          layers[side] = { nsg: result.value.nsg, ctx };
          nsgs.push(result.value);
          if (slot.nsg.partial) pointNotes.push(`NSG ${slot.nsg.name} was assembled from standalone rules: any other rules it has are unknown`);
          break;
        }
        case 'missing':
          pointNotes.push(`${where}'s NSG ${slot.id.split('/').pop() ?? slot.id} is not in the estate: judged without it`);
          break;
        case 'unknown':
          pointNotes.push(`whether ${where} has an NSG is not known (it is not in the estate): judged without it`);
          break;
        default: {
          const unreachable: never = slot;
          throw new Error(`unknown NSG slot ${JSON.stringify(unreachable)}`);
        }
      }
    }
    const local = localOf(point, pointNotes);
    const vnetKey = point.virtualNetwork.kind === 'known' ? point.virtualNetwork.virtualNetwork.key : '?';
    const pairKey = `${layers.subnet ? nsgKeyOf(layers.subnet) : '-'}|${layers.nic ? nsgKeyOf(layers.nic) : '-'}|${vnetKey}`;
    return {
      point,
      key: `${point.kind}|${point.key}|${point.subnetId ? normalizeId(point.subnetId) : ''}`,
      layers,
      nsgs,
      ctx,
      local,
      pairKey,
      notes: [...new Set(pointNotes)],
      blocked: unjudged.length > 0,
      unjudged,
    };
  };

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

  const subnetAlone = (subnet: Subnet): EffectivePoint | undefined => {
    const ref = subnet.networkSecurityGroup;
    const resource = ref ? estate.networkSecurityGroups.get(ref.key) : undefined;
    if (!resource) return undefined;
    const point = subnetPoint(
      subnet,
      { state: 'present', id: resource.id, key: resource.key, nsg: resource },
      relations.virtualNetworkScopes.get(subnet.virtualNetwork.key) ?? {
        kind: 'unknown',
        virtualNetworkId: subnet.virtualNetwork.id,
        reason: 'its virtual network is not in the estate',
      },
    );
    const effective = effectivePoint(point);
    return effective.blocked ? undefined : { ...effective, key: `alone|${effective.key}` };
  };

  const remotes = new WeakMap<EvaluationContext, Map<string, RemoteSide>>();
  const remote = (ctx: EvaluationContext, names: readonly string[], except: readonly string[] = []): RemoteSide => {
    let byCtx = remotes.get(ctx);
    if (!byCtx) remotes.set(ctx, (byCtx = new Map()));
    const memoKey = `${names.join('\n')}\t${except.join('\n')}`;
    const known = byCtx.get(memoKey);
    if (known) return known;
    const side = resolveRemote(ctx, names, except);
    byCtx.set(memoKey, side);
    return side;
  };
  const resolveRemote = (ctx: EvaluationContext, names: readonly string[], except: readonly string[]): RemoteSide => {
    const resolve = (list: readonly string[]): AddressSet =>
      list.reduce<AddressSet>((acc, name) => {
        const prefix = parseAddressPrefix(name);
        return addressUnion(acc, prefix.ok ? prefix.set : namedSet(ctx, name));
      }, NO_ADDRESS);
    const set = except.length > 0 ? addressDifference(resolve(names), resolve(except)) : resolve(names);
    const key = `${names.map((n) => n.toLowerCase()).join(',')}${except.length > 0 ? `-${except.map((n) => n.toLowerCase()).join(',')}` : ''}`;
    return { key, set };
  };

  const analyses = new Map<string, (PairAnalysis & { ports: PortSet })[]>();
  const analyze = (
    point: EffectivePoint,
    direction: Direction,
    protocol: FlowProtocol,
    side: RemoteSide,
    ports: PortSet = ALL_PORTS,
  ): PairAnalysis => {
    const key = `${point.pairKey}|${direction}|${protocol}|${side.key}`;
    const entries = analyses.get(key) ?? [];
    const cached = entries.find((e) => portIsSubset(ports, e.ports) && addressIsSubset(point.local, e.local));
    if (cached) return cached;
    points();
    // One analysis serves every point of the pair: it covers all their addresses.
    const local = addressUnion(localByPair.get(point.pairKey) ?? NO_ADDRESS, point.local);
    const analysis = analyzeRegion(point.layers, { direction, protocol, remote: side.set, local, destinationPorts: ports });
    const entry = { ports, local, analysis, spansLocal: analysis.parts.map((part) => addressIsSubset(local, part.local)) };
    entries.push(entry);
    analyses.set(key, entries);
    return entry;
  };

  const candidates = new Map<string, PortSet>();
  const layerCandidates = new WeakMap<EvaluationContext, Map<string, PortSet>>();
  /** One NSG's broad ports in a context: where its Allow rules' remote sides together are broad. */
  const layerBroadPorts = (layer: Layer, direction: Direction, protocol: FlowProtocol, side: RemoteSide): PortSet => {
    let byLayer = layerCandidates.get(layer.ctx);
    if (!byLayer) layerCandidates.set(layer.ctx, (byLayer = new Map()));
    const key = `${nsgKeyOf(layer)}|${direction}|${protocol}|${side.key}`;
    const cached = byLayer.get(key);
    if (cached) return cached;
    const inbound = direction === 'Inbound';
    const allows: { ports: PortSet; remote: AddressSet }[] = [];
    let total: AddressSet = NO_ADDRESS;
    for (const rule of inbound ? layer.nsg.inbound : layer.nsg.outbound) {
      if (rule.access !== 'Allow' || (rule.protocol !== '*' && rule.protocol !== protocol)) continue;
      const far = addressIntersect(termsSet(inbound ? rule.source : rule.destination, layer.ctx), side.set);
      if (addressIsEmpty(far)) continue;
      allows.push({ ports: rule.destinationPorts, remote: far });
      total = addressUnion(total, far);
    }
    let ports: PortSet = NO_PORTS;
    // Cheap first: if all the Allow rules together are not broad, no port can be.
    if (isBroad(total, layer.ctx)) {
      for (const segment of portSegments(allows, (a) => a.ports)) {
        const remote = segment.members.reduce<AddressSet>((acc, a) => addressUnion(acc, a.remote), NO_ADDRESS);
        if (isBroad(remote, layer.ctx)) ports = portUnion(ports, segment.ports);
      }
    }
    byLayer.set(key, ports);
    return ports;
  };
  const broadPorts = (point: EffectivePoint, direction: Direction, protocol: FlowProtocol, side: RemoteSide): PortSet => {
    const key = `${point.pairKey}|${direction}|${protocol}|${side.key}`;
    let ports = candidates.get(key);
    if (ports) return ports;
    ports = ALL_PORTS;
    for (const layer of [point.layers.nic, point.layers.subnet]) {
      if (layer && !portIsEmpty(ports)) ports = portIntersect(ports, layerBroadPorts(layer, direction, protocol, side));
    }
    candidates.set(key, ports);
    return ports;
  };

  const errors = (): ResourceError[] => [...parsed.values()].flatMap((r) => (r.ok ? [] : r.errors));

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
    wantedNsgs: () => [...estate.networkSecurityGroups.values()].filter((n) => wants(n.key)),
    points,
    subnetAlone,
    contextFor,
    nsgContext,
    remote,
    analyze,
    broadPorts,
    errors,
    partiallyJudged: () => {
      points();
      for (const key of estate.networkSecurityGroups.keys()) if (failedNsgReasons(key).length > 0) partial.add(key);
      return partial;
    },
    unjudged: () => {
      const out = new Map<string, { id: string; kind: 'networkSecurityGroup' | 'subnet' | 'networkInterface'; reasons: string[] }>();
      const add = (key: string, id: string, kind: 'networkSecurityGroup' | 'subnet' | 'networkInterface', reasons: readonly string[]) => {
        if (!wants(key) || reasons.length === 0) return;
        const entry = out.get(key) ?? { id, kind, reasons: [] };
        entry.reasons = [...new Set([...entry.reasons, ...reasons])];
        out.set(key, entry);
      };
      for (const point of points()) {
        if (!point.blocked) continue;
        const where = point.point.kind === 'unattached' ? 'alone' : `at ${point.point.kind === 'subnet' ? 'subnet' : 'NIC'} ${point.point.name}`;
        // A subnet's or NIC's own verdicts (NSG-010, NSG-011, NAT-001) rest on its associations, not on
        // the NSGs' rules: only input about the point itself leaves them unjudged.
        const structural = dependencyProblems(point.point);
        if (point.point.kind === 'networkInterface') add(point.point.key, point.point.id, 'networkInterface', structural);
        if (point.point.kind === 'subnet') add(point.point.key, point.point.id, 'subnet', structural);
        if (point.point.subnetId !== undefined && point.point.kind === 'networkInterface') {
          add(normalizeId(point.point.subnetId), point.point.subnetId, 'subnet', structural.map((r) => `NIC ${point.point.name}: ${r}`));
        }
        for (const slot of [point.point.subnetNsg, point.point.nicNsg]) {
          if (slot.state !== 'present') continue;
          const own = failedNsgReasons(slot.key);
          add(slot.key, slot.id, 'networkSecurityGroup', point.unjudged.filter((r) => !own.includes(r)).map((r) => `${where}: ${r}`));
        }
      }
      // The subnets and NICs that failed validation are attachment points nothing was judged at.
      for (const bad of invalid.values()) {
        if (bad.kind === 'subnet' || bad.kind === 'networkInterface') add(bad.key, bad.key, bad.kind, ['it failed validation (see the errors)']);
        if (bad.kind === 'networkInterfaceIpConfiguration' && bad.parentKey !== undefined) {
          add(bad.parentKey, bad.parentKey, 'networkInterface', [`${bad.kind} ${nameOfKey(bad.key)} failed validation`]);
        }
      }
      for (const resource of estate.networkSecurityGroups.values()) add(resource.key, resource.id, 'networkSecurityGroup', failedNsgReasons(resource.key));
      return out;
    },
  };
}

/** The addresses a rule's source or destination terms stand for in a context. */
function termsSet(terms: readonly AddressTerm[], ctx: EvaluationContext): AddressSet {
  const parts: AddressSet[] = [];
  for (const term of terms) {
    switch (term.kind) {
      case 'any':
        return namedSet(ctx, '*');
      case 'prefix':
        parts.push(term.set);
        break;
      case 'tag':
        parts.push(namedSet(ctx, term.key));
        break;
      case 'asg':
        parts.push(ctx.asgAddresses.get(term.id) ?? NO_ADDRESS);
        break;
      default: {
        const unreachable: never = term;
        throw new Error(`unknown address term ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return addressUnionAll(parts);
}

function nameOfKey(key: string): string {
  return key.split('/').pop() ?? key;
}

function nsgKeyOf(layer: Layer): string {
  return normalizeId(layer.nsg.id);
}

function localOf(point: AttachmentPoint, notes: string[]): AddressSet {
  const local = point.local;
  switch (local.kind) {
    case 'exact':
    case 'within': {
      const { set, invalid } = addressesFromPrefixes(local.kind === 'exact' ? local.addresses : local.prefixes);
      for (const bad of invalid) notes.push(`address '${bad}' of ${point.name} is not an IP or prefix; skipped`);
      if (!addressIsEmpty(set)) return set;
      notes.push(`the addresses of ${point.name} are not known: every address taken`);
      return ALL_IPS;
    }
    case 'unknown':
      if (point.kind !== 'unattached') notes.push(`the addresses of ${point.name} are not known: every address taken`);
      return ALL_IPS;
    default: {
      const unreachable: never = local;
      throw new Error(`unknown local addresses ${JSON.stringify(unreachable)}`);
    }
  }
}
