/**
 * The flow verifier: the offline equivalent of Network Watcher's IP flow verify (DESIGN §5), used
 * by `nsgwatch flow` and the API alike. It finds the NSG or NIC by name or id and decides each flow
 * with the exact engine — a NIC's subnet NSG and NIC NSG composed per direction — reading NSGs and
 * contexts through the estate view, so both share its parse cache and per-network contexts.
 */
import { nameOfId, normalizeId } from '../arm/index.js';
import type { Estate, NetworkInterface, NetworkSecurityGroup } from '../estate/model.js';
import {
  guardsOfNetworkInterface,
  nsgVirtualNetworkScope,
  type AttachmentPoint,
  type EstateRelations,
  type NsgSlot,
  type VirtualNetworkScope,
} from '../estate/relations.js';
import {
  assertNever,
  boundedText,
  errorMessage,
  evaluateComposed,
  parseFlow,
  parseIp,
  termGap,
  type Access,
  type Flow,
  type Layer,
  type Layers,
  type RuleRef,
  type ServiceTagData,
  type AdminRuleOrigin,
} from '../nsg/index.js';
import { createEstateView, type EstateView } from '../verdicts/view.js';
import { translateInbound } from './translate.js';

/** One flow question, as the CLI and the JSONL lines ask it (values still untrusted). */
export interface FlowQuery {
  nsg?: unknown;
  nic?: unknown;
  direction?: unknown;
  protocol?: unknown;
  source?: unknown;
  sourcePort?: unknown;
  destination?: unknown;
  destinationPort?: unknown;
}

export interface DecidingStep {
  /** The NSG's ARM id. */
  nsg: string;
  nsgName: string;
  rule: string;
  priority: number;
  access: Access;
  /** Where the NSG sits for this question; `admin` for a Virtual Network Manager security admin rule. */
  layer: 'nsg' | 'subnet' | 'nic' | 'admin';
  /** A security admin rule: its manager, configuration and collection (ARM ids) and action. */
  admin?: AdminRuleOrigin;
}

export type FlowAnswer =
  | {
      ok: true;
      access: Access;
      flow: Flow;
      decidedBy: DecidingStep[];
      /** What was judged, for people: "NSG x" or "NIC y (subnet NSG a, NIC NSG b)". */
      target: string;
      /** Assumptions and unknowns the answer rests on. */
      notes: string[];
      /** A flow to a public address of the NIC's path: how Azure translated it before the NSGs saw it (`flow` is the translated one). */
      translation?: string;
    }
  | { ok: false; error: string };

export interface FlowVerifier {
  verify(query: FlowQuery): FlowAnswer;
}

/**
 * Answers flow questions against one estate; targets, parsed NSGs and contexts are reused. Give the
 * estate's view to share its caches with the rules; without one the verifier makes its own.
 */
export function createFlowVerifier(estate: Estate, options: { serviceTags?: ServiceTagData; view?: EstateView } = {}): FlowVerifier {
  const view = options.view ?? createEstateView(estate, options.serviceTags ? { serviceTags: options.serviceTags } : {});
  const relations = view.relations;
  const nsgsByName = indexByName(estate.networkSecurityGroups.values());
  const nicsByName = indexByName(estate.networkInterfaces.values());

  const layerOf = (nsg: NetworkSecurityGroup, scope: VirtualNetworkScope): { layer: Layer; notes: string[] } | { error: string } => {
    const result = view.parsed(nsg);
    if (!result.ok) return { error: `NSG ${nsg.name} is not valid: ${result.errors.map(describeError).join('; ')}` };
    const { ctx, notes } = view.contextFor(scope);
    const partial = nsg.partial ? [`NSG ${nsg.name} was assembled from standalone rules: any other rules it has are unknown`] : [];
    return { layer: { nsg: result.value.nsg, ctx }, notes: [...notes, ...partial] };
  };

  const verify = (query: FlowQuery): FlowAnswer => {
    const hasNsg = query.nsg !== undefined && query.nsg !== null;
    const hasNic = query.nic !== undefined && query.nic !== null;
    if (hasNsg === hasNic) return { ok: false, error: 'name either an nsg or a nic (one of them)' };
    const flow = flowOf(query);
    if (!flow.ok) return flow;

    if (hasNsg) {
      if (typeof query.nsg !== 'string' || query.nsg.trim() === '') return { ok: false, error: 'nsg must be a name or an ARM id' };
      const found = lookup(estate.networkSecurityGroups, nsgsByName, query.nsg, 'NSG');
      if (!found.ok) return found;
      const built = layerOf(found.value, nsgVirtualNetworkScope(relations, found.value.id));
      if ('error' in built) return { ok: false, error: built.error };
      return answer(flow.flow, { subnet: built.layer }, `NSG ${found.value.name}`, built.notes, () => 'nsg');
    }

    if (typeof query.nic !== 'string' || query.nic.trim() === '') return { ok: false, error: 'nic must be a name or an ARM id' };
    const found = lookup(estate.networkInterfaces, nicsByName, query.nic, 'NIC');
    if (!found.ok) return found;
    const point = attachmentFor(relations, found.value, flow.flow);
    if (!point.ok) return point;
    const translation = translateInbound(estate, point.value, flow.flow);
    if (translation.kind === 'unreachable') return { ok: false, error: translation.reason };
    const asked = translation.kind === 'translated' ? translation.flow : flow.flow;
    const layers: { subnet?: Layer; nic?: Layer; admin?: Layer } = {};
    const notes: string[] = [];
    // Security admin rules come before both NSGs (DESIGN §3 "Composition").
    const admin = view.adminRules(point.value.virtualNetwork, view.contextFor(point.value.virtualNetwork).ctx);
    if (admin.unjudged.length > 0) return { ok: false, error: `the security admin rules of NIC ${found.value.name}'s virtual network are not known: ${admin.unjudged.join('; ')}` };
    if (admin.layer) layers.admin = admin.layer;
    notes.push(...admin.notes);
    const endpoint = point.value.privateEndpoint;
    if (endpoint?.subnetNsgApplies === false) {
      notes.push(`NIC ${found.value.name} belongs to private endpoint ${endpoint.name}; its subnet's privateEndpointNetworkPolicies is ${endpoint.policies ?? 'Disabled'}, so the subnet's NSG does not filter it`);
    }
    for (const side of ['subnet', 'nic'] as const) {
      const slot = side === 'subnet' ? point.value.subnetNsg : point.value.nicNsg;
      const nsg = presentNsg(slot, side, found.value);
      if (!nsg.ok) return nsg;
      if (!nsg.value) continue;
      const built = layerOf(nsg.value, point.value.virtualNetwork);
      if ('error' in built) return { ok: false, error: built.error };
      layers[side] = built.layer;
      notes.push(...built.notes);
    }
    // decidedBy follows processing order: inbound subnet → NIC, outbound NIC → subnet.
    const order = (flow.flow.direction === 'Inbound' ? (['subnet', 'nic'] as const) : (['nic', 'subnet'] as const)).filter((side) => layers[side]);
    const layerName = (_nsgId: string, index: number): DecidingStep['layer'] => order[index] ?? 'nic';
    const answered = answer(asked, layers, nicTarget(found.value, point.value), notes, layerName);
    return answered.ok && translation.kind === 'translated' ? { ...answered, translation: translation.description } : answered;
  };

  return { verify };
}

function answer(
  flow: Flow,
  layers: Layers,
  target: string,
  notes: string[],
  layerOf: (nsgId: string, index: number) => DecidingStep['layer'],
): FlowAnswer {
  let decision;
  try {
    decision = evaluateComposed(layers, flow);
  } catch (error) {
    // The engine rejects flows it cannot place (e.g. an address family no rule set can hold).
    return { ok: false, error: errorMessage(error) };
  }
  // decidedBy: the admin rule first when one matched, then the NSGs in processing order.
  const offset = decision.decidedBy[0]?.admin ? 1 : 0;
  const decidedBy = decision.decidedBy.map((ref, i) => (ref.admin ? step(ref, 'admin') : step(ref, layerOf(ref.nsg, i - offset))));
  const consulted = [layers.admin, layers.subnet, layers.nic].filter((l): l is Layer => l !== undefined);
  return {
    ok: true,
    access: decision.access,
    flow,
    decidedBy,
    target,
    notes: [...new Set([...notes, ...ruleNotes(consulted, decision.decidedBy, flow)])],
  };
}

function step(ref: RuleRef, layer: DecidingStep['layer']): DecidingStep {
  return { nsg: ref.nsg, nsgName: ref.nsgName, rule: ref.rule, priority: ref.priority, access: ref.access, layer, ...(ref.admin ? { admin: ref.admin } : {}) };
}

/**
 * Service tags with no data and ASGs with no known members, named by rules processed before (or
 * as) the deciding one: a concrete address never matches them, so the answer depends on them.
 */
function ruleNotes(layers: readonly Layer[], decidedBy: readonly RuleRef[], flow: Flow): string[] {
  const notes: string[] = [];
  for (const layer of layers) {
    const decided = decidedBy.find((r) => normalizeId(r.nsg) === normalizeId(layer.nsg.id));
    const rules = flow.direction === 'Inbound' ? layer.nsg.inbound : layer.nsg.outbound;
    for (const rule of rules) {
      if (decided && rule.priority > decided.priority) break;
      for (const term of [...rule.source, ...rule.destination]) {
        const gap = termGap(term, layer.ctx);
        if (gap?.kind === 'unresolvedTag') {
          notes.push(`service tag ${gap.text} has no address data (load --service-tags): rule ${rule.name} matches no concrete address through it`);
        } else if (gap?.kind === 'emptyAsg') {
          notes.push(`application security group ${nameOfId(gap.text)} has no known members: rule ${rule.name} matches no address through it`);
        }
      }
    }
  }
  return notes;
}

function presentNsg(
  slot: NsgSlot,
  side: 'subnet' | 'nic',
  nic: NetworkInterface,
): { ok: true; value: NetworkSecurityGroup | undefined } | { ok: false; error: string } {
  const where = side === 'subnet' ? `the subnet of NIC ${nic.name}` : `NIC ${nic.name}`;
  switch (slot.state) {
    case 'none':
      return { ok: true, value: undefined };
    case 'present':
      return { ok: true, value: slot.nsg };
    case 'missing':
      return { ok: false, error: `${where} is guarded by NSG ${slot.id}, which is not in the estate: add its export to decide` };
    case 'unknown':
      return { ok: false, error: `whether ${where} has an NSG is not known from the estate (the ${side === 'subnet' ? 'subnet' : 'NIC'} itself is not in it)` };
    default:
      return assertNever(slot, 'NSG slot');
  }
}

/** The NIC's attachment the flow goes through: the one holding the flow's local address when there are several. */
function attachmentFor(
  relations: EstateRelations,
  nic: NetworkInterface,
  flow: Flow,
): { ok: true; value: AttachmentPoint } | { ok: false; error: string } {
  const points = guardsOfNetworkInterface(relations, nic.id);
  if (points.length === 0) return { ok: false, error: `NIC ${nic.name} has no IP configuration in the estate` };
  if (points.length === 1 && points[0]) return { ok: true, value: points[0] };
  const local = flow.direction === 'Inbound' ? flow.destinationIp : flow.sourceIp;
  const holding = points.filter((p) => p.local.kind === 'exact' && p.local.addresses.some((a) => sameIp(a, local)));
  if (holding.length === 1 && holding[0]) return { ok: true, value: holding[0] };
  const subnets = points.map((p) => (p.subnetId !== undefined ? nameOfId(p.subnetId) : '(no subnet)')).join(', ');
  return { ok: false, error: `NIC ${nic.name} sits in several subnets (${subnets}); give the NIC's own address of the one meant as the flow's ${flow.direction === 'Inbound' ? 'destination' : 'source'}` };
}

function sameIp(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  return x !== undefined && y !== undefined && x.family === y.family && x.value === y.value;
}

function nicTarget(nic: NetworkInterface, point: AttachmentPoint): string {
  const name = (slot: NsgSlot) => (slot.state === 'present' ? slot.nsg.name : 'none');
  return `NIC ${nic.name} (subnet NSG ${name(point.subnetNsg)}, NIC NSG ${name(point.nicNsg)})`;
}

function indexByName<T extends { name: string }>(items: Iterable<T>): Map<string, T[]> {
  const index = new Map<string, T[]>();
  for (const item of items) {
    const key = item.name.toLowerCase();
    const list = index.get(key);
    if (list) list.push(item);
    else index.set(key, [item]);
  }
  return index;
}

function lookup<T extends { id: string; name: string }>(
  byId: ReadonlyMap<string, T>,
  byName: ReadonlyMap<string, T[]>,
  text: string,
  what: string,
): { ok: true; value: T } | { ok: false; error: string } {
  const wanted = text.trim();
  if (wanted.startsWith('/')) {
    const found = byId.get(normalizeId(wanted));
    return found ? { ok: true, value: found } : { ok: false, error: `no ${what} with id ${boundedText(wanted)} in the estate` };
  }
  const candidates = byName.get(wanted.toLowerCase()) ?? [];
  if (candidates.length === 1 && candidates[0]) return { ok: true, value: candidates[0] };
  if (candidates.length === 0) return { ok: false, error: `no ${what} named '${boundedText(wanted)}' in the estate (${byId.size} loaded)` };
  return {
    ok: false,
    error: `${what} name '${boundedText(wanted)}' is ambiguous: ${candidates.map((c) => c.id).join(', ')}; give the id instead`,
  };
}

/** Builds and validates the flow; `source` may carry its port (`ip:port`, `[v6]:port`) when `sourcePort` is absent. */
function flowOf(query: FlowQuery): { ok: true; flow: Flow } | { ok: false; error: string } {
  const raw: Record<string, unknown> = { direction: query.direction, protocol: query.protocol };
  for (const side of ['source', 'destination'] as const) {
    const value = query[side];
    const port = query[`${side}Port`];
    if (typeof value !== 'string') {
      raw[`${side}Ip`] = value;
      raw[`${side}Port`] = port;
      continue;
    }
    const endpoint = splitEndpoint(value);
    if (!endpoint.ok) return { ok: false, error: `${side}: ${endpoint.error}` };
    if (endpoint.port !== undefined && port !== undefined && port !== null) {
      return { ok: false, error: `${side} carries a port and ${side}Port gives another: give one` };
    }
    raw[`${side}Ip`] = endpoint.ip;
    raw[`${side}Port`] = endpoint.port ?? port;
  }
  const parsed = parseFlow(raw);
  if (parsed.ok) return parsed;
  return { ok: false, error: parsed.errors.map((e) => e.message.replace(/\b(source|destination)Ip\b/, '$1')).join('; ') };
}

/** `10.0.0.4`, `10.0.0.4:443`, `2001:db8::4`, `[2001:db8::4]:443`. */
export function splitEndpoint(text: string): { ok: true; ip: string; port?: string } | { ok: false; error: string } {
  const value = text.trim();
  if (value.startsWith('[')) {
    const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
    if (!match?.[1]) return { ok: false, error: `'${boundedText(text)}' is not [IPv6]:PORT` };
    return match[2] === undefined ? { ok: true, ip: match[1] } : { ok: true, ip: match[1], port: match[2] };
  }
  const colons = value.split(':').length - 1;
  if (colons === 1) {
    const [ip = '', port = ''] = value.split(':');
    if (!/^\d+$/.test(port)) return { ok: false, error: `'${boundedText(text)}': the port '${boundedText(port)}' is not a number` };
    return { ok: true, ip, port };
  }
  return { ok: true, ip: value };
}

function describeError(error: { rule?: string; field?: string; message: string }): string {
  return [error.rule && `rule ${error.rule}`, error.field && `field ${error.field}`, error.message].filter(Boolean).join(': ');
}

