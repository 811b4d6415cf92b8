/**
 * Exact set analysis on top of the first-match partition: the flows of a query region split by
 * the rules that decide them (one NSG or a NIC's subnet + NIC NSGs composed), the destination
 * ports reachable and from where, Internet exposure, and whether each rule decides any flow.
 * Every answer that finds something carries a concrete witness flow.
 */
import {
  type Access,
  type AddressSet,
  type Direction,
  type EvaluationContext,
  type Flow,
  FLOW_PROTOCOLS,
  type FlowProtocol,
  type Layer,
  type Layers,
  type Nsg,
  type PortReach,
  type PortSet,
  type ReachablePorts,
  type RegionAnalysis,
  type RegionPart,
  type RegionQuery,
  type RuleDecision,
  type RuleProtocol,
  type RuleRef,
  type SecurityRule,
  type Target,
} from './types.js';
import {
  ALL_IPV4,
  ALL_IPV6,
  ALL_TAG_ATOMS,
  ANY_ADDRESS,
  NO_ADDRESS,
  addressCount,
  addressIntersect,
  addressIsEmpty,
  addressIsSubset,
  addressOverlaps,
  addressSample,
  addressUnion,
  addressSampleIp,
  formatIp,
  type Ip,
} from './addresses.js';
import {
  type CompiledNsg,
  type CompiledRule,
  type Endpoint,
  type PointFlow,
  compileNsg,
  endpointIn,
  hasPorts,
} from './compile.js';
import { createContext, isBroad, namedSet } from './context.js';
import { orderedLayers } from './evaluate.js';
import { actionOf } from './admin.js';
import { type Box, addressAxis, mergeParts, partitionBox, portAxis } from './partition.js';
import {
  ALL_PORTS,
  NO_PORTS,
  portContains,
  portIntersect,
  portIsEmpty,
  portIsSubset,
  portOverlaps,
  portUnion,
} from './ports.js';
import { containsPoint } from './intervals.js';

/** A box of flows in raw coordinates; ports are [0, 0] for protocols without ports. */
interface RawBox {
  readonly remote: AddressSet;
  readonly local: AddressSet;
  readonly sourcePorts: PortSet;
  readonly destinationPorts: PortSet;
}

interface RawPart extends RawBox {
  readonly rule: CompiledRule;
}

const PORTLESS: PortSet = Object.freeze([0, 0]);
const V4_AND_ATOMS = addressUnion(ALL_IPV4, ALL_TAG_ATOMS);
const V6_AND_ATOMS = addressUnion(ALL_IPV6, ALL_TAG_ATOMS);

/**
 * Flows pair addresses of one IP version; a tag atom (an unresolved tag: a public address of
 * unknown version) pairs with either. Three disjoint lanes cover exactly those pairs.
 */
function lanes(box: RawBox): RawBox[] {
  // Most rule boxes hold one family and no tag: they are their own single lane.
  if (isPlain(box.remote) && isPlain(box.local)) {
    if (box.remote.v6.length === 0 && box.local.v6.length === 0) return box.remote.v4.length > 0 && box.local.v4.length > 0 ? [box] : [];
    if (box.remote.v4.length === 0 && box.local.v4.length === 0) return box.remote.v6.length > 0 && box.local.v6.length > 0 ? [box] : [];
  }
  const out: RawBox[] = [];
  pushLane(out, box, V4_AND_ATOMS, V4_AND_ATOMS);
  pushLane(out, box, ALL_IPV6, V6_AND_ATOMS);
  pushLane(out, box, ALL_TAG_ATOMS, ALL_IPV6);
  return out;
}

function isPlain(set: AddressSet): boolean {
  return !set.tags.complement && set.tags.names.length === 0;
}

function pushLane(out: RawBox[], box: RawBox, remoteFilter: AddressSet, localFilter: AddressSet): void {
  const remote = addressIntersect(box.remote, remoteFilter);
  const local = addressIntersect(box.local, localFilter);
  if (!addressIsEmpty(remote) && !addressIsEmpty(local)) out.push({ ...box, remote, local });
}

/** The rule's own box for a direction and protocol; undefined when it cannot match the protocol. */
function ruleBox(rule: CompiledRule, direction: Direction, protocol: FlowProtocol): RawBox | undefined {
  if (rule.protocol !== '*' && rule.protocol !== protocol) return undefined;
  const ported = hasPorts(protocol);
  if (!ported && !rule.portsAll) return undefined;
  const inbound = direction === 'Inbound';
  return {
    remote: inbound ? rule.source : rule.destination,
    local: inbound ? rule.destination : rule.source,
    sourcePorts: ported ? rule.sourcePorts : PORTLESS,
    destinationPorts: ported ? rule.destinationPorts : PORTLESS,
  };
}

/** The rule matches every flow of the box (allocation-free). */
function ruleCovers(rule: CompiledRule, direction: Direction, protocol: FlowProtocol, box: RawBox): boolean {
  if (rule.protocol !== '*' && rule.protocol !== protocol) return false;
  if (hasPorts(protocol)) {
    if (!portIsSubset(box.destinationPorts, rule.destinationPorts) || !portIsSubset(box.sourcePorts, rule.sourcePorts)) return false;
  } else if (!rule.portsAll) {
    return false;
  }
  const inbound = direction === 'Inbound';
  return addressIsSubset(box.local, inbound ? rule.destination : rule.source) && addressIsSubset(box.remote, inbound ? rule.source : rule.destination);
}

/** The rule matches some flow of the box (allocation-free). */
function ruleOverlaps(rule: CompiledRule, direction: Direction, protocol: FlowProtocol, box: RawBox): boolean {
  if (rule.protocol !== '*' && rule.protocol !== protocol) return false;
  if (hasPorts(protocol)) {
    if (!portOverlaps(box.destinationPorts, rule.destinationPorts) || !portOverlaps(box.sourcePorts, rule.sourcePorts)) return false;
  } else if (!rule.portsAll) {
    return false;
  }
  const inbound = direction === 'Inbound';
  return addressOverlaps(box.local, inbound ? rule.destination : rule.source) && addressOverlaps(box.remote, inbound ? rule.source : rule.destination);
}

/** The rule's addresses meet the box's (ports aside; allocation-free). */
function addressesMeet(rule: CompiledRule, inbound: boolean, box: RawBox): boolean {
  return addressOverlaps(box.local, inbound ? rule.destination : rule.source) && addressOverlaps(box.remote, inbound ? rule.source : rule.destination);
}

function clip(a: RawBox, b: RawBox): RawBox | undefined {
  const sourcePorts = portIntersect(a.sourcePorts, b.sourcePorts);
  if (portIsEmpty(sourcePorts)) return undefined;
  const destinationPorts = portIntersect(a.destinationPorts, b.destinationPorts);
  if (portIsEmpty(destinationPorts)) return undefined;
  const remote = addressIntersect(a.remote, b.remote);
  if (addressIsEmpty(remote)) return undefined;
  const local = addressIntersect(a.local, b.local);
  if (addressIsEmpty(local)) return undefined;
  return { remote, local, sourcePorts, destinationPorts };
}

interface DecideResult {
  parts: RawPart[];
  hit: RawPart | undefined;
  painters: CompiledRule[];
}

/**
 * First match of `rules` over a box that lies in one lane. With `target` (the last rule of
 * `rules`), stops at the first flow the target decides.
 */
function decideLane(
  rules: readonly CompiledRule[],
  direction: Direction,
  protocol: FlowProtocol,
  box: RawBox,
  atoms: readonly string[],
  target: CompiledRule | undefined,
  allowedOnly = false,
): DecideResult {
  const candidates: CompiledRule[] = [];
  const clipped: RawBox[] = [];
  let coveredBeforeTarget = false;
  for (const rule of rules) {
    if (!ruleOverlaps(rule, direction, protocol, box)) continue;
    const inBox = clip(ruleBox(rule, direction, protocol) as RawBox, box);
    if (!inBox) continue;
    candidates.push(rule);
    clipped.push(inBox);
    if (rule === target) break;
    // Rules after one that matches the whole box never decide anything in it.
    if (ruleCovers(rule, direction, protocol, box)) {
      coveredBeforeTarget = target !== undefined;
      break;
    }
  }
  if (target && (coveredBeforeTarget || !candidates.includes(target))) {
    return { parts: [], hit: undefined, painters: coveredBeforeTarget ? candidates : [] };
  }
  const targetIndex = target ? candidates.indexOf(target) : undefined;
  const remoteAxis = addressAxis([box.remote, ...clipped.map((c) => c.remote)], atoms);
  const localAxis = addressAxis([box.local, ...clipped.map((c) => c.local)], atoms);
  const sourceAxis = portAxis([box.sourcePorts, ...clipped.map((c) => c.sourcePorts)]);
  const destinationAxis = portAxis([box.destinationPorts, ...clipped.map((c) => c.destinationPorts)]);
  const toBox = (b: RawBox): Box => [
    remoteAxis.toIdx(b.remote),
    localAxis.toIdx(b.local),
    sourceAxis.toIdx(b.sourcePorts),
    destinationAxis.toIdx(b.destinationPorts),
  ];
  const fromBox = (b: Box, rule: CompiledRule): RawPart => ({
    rule,
    remote: remoteAxis.fromIdx(b[0]),
    local: localAxis.fromIdx(b[1]),
    sourcePorts: sourceAxis.fromIdx(b[2]),
    destinationPorts: destinationAxis.fromIdx(b[3]),
  });
  const ruleBoxes = clipped.map(toBox);
  const query = toBox(box);
  const result = partitionBox(
    ruleBoxes,
    query,
    targetIndex !== undefined
      ? { target: targetIndex, collect: false }
      : allowedOnly
        ? { keep: (i: number) => (candidates[i] as CompiledRule).rule.access === 'Allow' }
        : {},
  );
  // Shadowed: the earlier rules that match some of the target's flows together match them all.
  const painters = targetIndex !== undefined && !result.hit ? candidates.slice(0, targetIndex).map((_, i) => i) : [...result.painters];
  return {
    parts: mergeParts(result.parts).map((p) => fromBox(p.box, candidates[p.rule] as CompiledRule)),
    hit: result.hit && fromBox(result.hit.box, candidates[result.hit.rule] as CompiledRule),
    painters: painters.sort((a, b) => a - b).map((i) => candidates[i] as CompiledRule),
  };
}

function decide(
  rules: readonly CompiledRule[],
  direction: Direction,
  protocol: FlowProtocol,
  box: RawBox,
  atoms: readonly string[],
  allowedOnly: boolean,
): RawPart[] {
  return lanes(box).flatMap((lane) => decideLane(rules, direction, protocol, lane, atoms, undefined, allowedOnly).parts);
}

function atomUniverse(compiled: readonly CompiledNsg[], sets: readonly AddressSet[]): string[] {
  const keys = new Set<string>();
  for (const c of compiled) for (const key of c.unresolvedTags.keys()) keys.add(key);
  for (const set of sets) for (const name of set.tags.names) keys.add(name);
  return [...keys].sort();
}

function displayNames(compiled: readonly CompiledNsg[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const c of compiled) for (const [key, text] of c.unresolvedTags) if (!names.has(key)) names.set(key, text);
  return names;
}

/** A port for a witness: `preferred` when the set holds it, else the first port above 0. */
function pickPort(set: PortSet, preferred?: number): number {
  if (preferred !== undefined && portContains(set, preferred)) return preferred;
  for (let i = 0; i < set.length; i += 2) {
    if ((set[i + 1] as number) >= 1) return Math.max(1, set[i] as number);
  }
  return set[0] ?? 0;
}

const EPHEMERAL_PORT = 49152;

function sampleText(set: AddressSet, preferPublic: boolean, names: ReadonlyMap<string, string>): string {
  const sample = addressSample(set, { preferPublic }) ?? '';
  return names.get(sample) ?? sample;
}

function witnessFor(
  direction: Direction,
  protocol: FlowProtocol,
  box: RawBox,
  names: ReadonlyMap<string, string>,
  destinationPorts: PortSet = box.destinationPorts,
): Flow {
  const remote = sampleText(box.remote, true, names);
  const local = sampleText(box.local, false, names);
  const inbound = direction === 'Inbound';
  const flow: Flow = {
    direction,
    protocol,
    sourceIp: inbound ? remote : local,
    destinationIp: inbound ? local : remote,
  };
  if (!hasPorts(protocol)) return flow;
  return {
    ...flow,
    // The side that starts the flow picks an ephemeral port; the service port is the destination.
    sourcePort: pickPort(box.sourcePorts, EPHEMERAL_PORT),
    destinationPort: pickPort(destinationPorts),
  };
}

function layersOf(target: Target): Layers {
  return 'nsg' in target ? { nic: target } : target;
}

function notesOf(layers: readonly Layer[], compiled: readonly CompiledNsg[], query: RegionQuery) {
  const unresolved = new Map<string, string>();
  for (const c of compiled) for (const [key, text] of c.unresolvedTags) if (!unresolved.has(key)) unresolved.set(key, text);
  for (const set of [query.remote, query.local]) for (const name of set.tags.names) if (!unresolved.has(name)) unresolved.set(name, name);
  return {
    unresolvedTags: [...unresolved.values()],
    emptyAsgs: [...new Set(compiled.flatMap((c) => c.emptyAsgs))],
    assumptions: [...new Set(layers.flatMap((l) => l.ctx.assumptions))],
  };
}

function queryBox(query: RegionQuery): RawBox {
  const ported = hasPorts(query.protocol);
  return {
    remote: query.remote,
    local: query.local,
    sourcePorts: ported ? (query.sourcePorts ?? ALL_PORTS) : PORTLESS,
    destinationPorts: ported ? (query.destinationPorts ?? ALL_PORTS) : PORTLESS,
  };
}

/**
 * Splits the query's flows exactly into parts, each with its verdict, the rule of every NSG
 * consulted (subnet then NIC inbound, NIC then subnet outbound; a Deny stops processing) and a
 * witness flow. A target with no NSG allows everything.
 */
export function analyzeRegion(target: Target, query: RegionQuery): RegionAnalysis {
  return regionParts(target, query, false);
}

function regionParts(target: Target, query: RegionQuery, allowedOnly: boolean): RegionAnalysis {
  const ordered = orderedLayers(layersOf(target), query.direction);
  const compiled = ordered.map((l) => compileNsg(l.nsg, l.ctx));
  const adminLayer = layersOf(target).admin;
  const admin = adminLayer ? compileNsg(adminLayer.nsg, adminLayer.ctx) : undefined;
  const all = admin ? [admin, ...compiled] : compiled;
  const atoms = atomUniverse(all, [query.remote, query.local]);
  const names = displayNames(all);
  const { direction, protocol } = query;
  const ported = hasPorts(protocol);
  const toPart = (box: RawBox, access: Access, decidedBy: RuleRef[]): RegionPart => ({
    access,
    remote: box.remote,
    local: box.local,
    sourcePorts: ported ? box.sourcePorts : null,
    destinationPorts: ported ? box.destinationPorts : null,
    decidedBy,
    witness: witnessFor(direction, protocol, box, names),
  });
  const rulesOf = (c: CompiledNsg): readonly CompiledRule[] => (direction === 'Inbound' ? c.inbound : c.outbound);
  const parts: RegionPart[] = [];
  const walk = (layer: number, box: RawBox, chain: RuleRef[]): void => {
    const c = compiled[layer];
    if (!c) {
      parts.push(toPart(box, 'Allow', chain));
      return;
    }
    for (const part of decide(rulesOf(c), direction, protocol, box, atoms, allowedOnly)) {
      const next = [...chain, part.rule.ref];
      if (part.rule.rule.access === 'Deny') parts.push(toPart(part, 'Deny', next));
      else walk(layer + 1, part, next);
    }
  };
  const box = queryBox(query);
  if (lanes(box).length > 0) {
    if (!admin) walk(0, box, []);
    else {
      // Admin rules first (a flow no admin rule matches goes on to the NSGs): Deny and
      // AlwaysAllow end evaluation, Allow passes on.
      for (const part of decide([...rulesOf(admin), NO_ADMIN_RULE], direction, protocol, box, atoms, allowedOnly)) {
        if (part.rule === NO_ADMIN_RULE) {
          walk(0, part, []);
          continue;
        }
        const action = actionOf(part.rule.rule);
        if (action === 'Deny') parts.push(toPart(part, 'Deny', [part.rule.ref]));
        else if (action === 'AlwaysAllow') parts.push(toPart(part, 'Allow', [part.rule.ref]));
        else walk(0, part, [part.rule.ref]);
      }
    }
  }
  return { parts, ...notesOf(adminLayer ? [adminLayer, ...ordered] : ordered, all, query) };
}

/** Stands for "no admin rule matched" after the last admin rule: the flow goes on to the NSGs. */
const NO_ADMIN_RULE: CompiledRule = (() => {
  const rule: SecurityRule = {
    id: '',
    name: '(no admin rule)',
    priority: 4097,
    direction: 'Inbound',
    access: 'Allow',
    protocol: '*',
    source: [{ kind: 'any', text: '*' }],
    destination: [{ kind: 'any', text: '*' }],
    sourcePorts: ALL_PORTS,
    destinationPorts: ALL_PORTS,
    isDefault: false,
    description: '',
  };
  return {
    rule,
    ref: { nsg: '', nsgName: '', rule: rule.name, priority: rule.priority, access: 'Allow', direction: 'Inbound', isDefault: false },
    protocol: '*',
    source: ANY_ADDRESS,
    destination: ANY_ADDRESS,
    sourcePorts: ALL_PORTS,
    destinationPorts: ALL_PORTS,
    portsAll: true,
  };
})();

/**
 * Which destination ports the query's flows reach, and from which remote addresses, allowed by
 * which rules; `broadPorts` are those whose allowed remote set is broad by the context's threshold.
 * For Icmp/Esp/Ah (no ports) ALL_PORTS stands for "the protocol is reachable".
 */
export function reachablePorts(target: Target, query: RegionQuery): ReachablePorts {
  const analysis = regionParts(target, query, true);
  const ctx = contextOf(target);
  const allowed = analysis.parts.filter((p) => p.access === 'Allow');
  const adminLayer = layersOf(target).admin;
  const compiled = [...(adminLayer ? [adminLayer] : []), ...orderedLayers(layersOf(target), query.direction)].map((l) => compileNsg(l.nsg, l.ctx));
  const names = displayNames(compiled);
  const portsOf = (p: RegionPart): PortSet => p.destinationPorts ?? ALL_PORTS;
  const axis = portAxis(allowed.map(portsOf));
  const idx = allowed.map((p) => axis.toIdx(portsOf(p)));
  // Elementary port segments grouped by the set of parts that allow them.
  const groups = new Map<string, { members: number[]; ports: number[] }>();
  for (let segment = 0; segment < axis.size; segment++) {
    const members: number[] = [];
    idx.forEach((set, i) => {
      if (containsPoint(set, segment)) members.push(i);
    });
    if (members.length === 0) continue;
    const key = members.join(',');
    let group = groups.get(key);
    if (!group) {
      group = { members, ports: [] };
      groups.set(key, group);
    }
    const last = group.ports.length - 1;
    if (last > 0 && group.ports[last] === segment - 1) group.ports[last] = segment;
    else group.ports.push(segment, segment);
  }
  const reach: PortReach[] = [];
  let ports: PortSet = NO_PORTS;
  let broadPorts: PortSet = NO_PORTS;
  for (const group of groups.values()) {
    const destinationPorts = axis.fromIdx(group.ports);
    const members = group.members.map((i) => allowed[i] as RegionPart);
    const remote = members.reduce((acc, p) => addressUnion(acc, p.remote), NO_ADDRESS);
    const broad = isBroad(remote, ctx);
    const first = members[0] as RegionPart;
    const chains = new Map<string, readonly RuleRef[]>();
    for (const p of members) chains.set(p.decidedBy.map((r) => `${r.nsg}|${r.rule}`).join('>'), p.decidedBy);
    // A broad group's witness comes from a part that is broad on its own when there is one.
    const witnessPart = (broad && members.find((p) => isBroad(p.remote, ctx))) || first;
    reach.push({
      destinationPorts,
      remote,
      count: addressCount(remote),
      broad,
      decidedBy: [...chains.values()],
      witness: witnessFor(
        query.direction,
        query.protocol,
        {
          remote: witnessPart.remote,
          local: witnessPart.local,
          sourcePorts: witnessPart.sourcePorts ?? PORTLESS,
          destinationPorts: witnessPart.destinationPorts ?? PORTLESS,
        },
        names,
        destinationPorts,
      ),
    });
    ports = portUnion(ports, destinationPorts);
    if (broad) broadPorts = portUnion(broadPorts, destinationPorts);
  }
  reach.sort((a, b) => (a.destinationPorts[0] as number) - (b.destinationPorts[0] as number));
  return {
    ports,
    broadPorts,
    reach,
    unresolvedTags: analysis.unresolvedTags,
    emptyAsgs: analysis.emptyAsgs,
    assumptions: analysis.assumptions,
  };
}

const DEFAULT_CONTEXT = createContext();

function contextOf(target: Target): EvaluationContext {
  if ('nsg' in target) return target.ctx;
  const layer = target.subnet ?? target.nic ?? target.admin;
  // No NSG at all: broadness still needs a threshold; the defaults apply.
  return layer ? layer.ctx : DEFAULT_CONTEXT;
}


/**
 * reachablePorts from (inbound) or to (outbound) the Internet of the target's context: the
 * exposure DESIGN §3 defines. `broadPorts` are the exposed ports.
 */
export function internetExposure(
  target: Target,
  query: { direction: Direction; protocol: FlowProtocol; local: AddressSet; destinationPorts?: PortSet },
): ReachablePorts {
  return reachablePorts(target, { ...query, remote: namedSet(contextOf(target), 'Internet') });
}

type SamplePoint = { remote: Endpoint; local: Endpoint; sp: number; dp: number };

function toEndpoint(sample: Ip | string | undefined): Endpoint | undefined {
  return typeof sample === 'string' ? { family: 'tag', key: sample } : sample;
}

/** The last IPv4 and the last IPv6 address of the set. */
function lastAddresses(set: AddressSet): Endpoint[] {
  const out: Endpoint[] = [];
  if (set.v4.length > 0) out.push({ family: 4, value: set.v4[set.v4.length - 1] as number });
  if (set.v6.length > 0) out.push({ family: 6, value: set.v6[set.v6.length - 1] as bigint });
  return out;
}

function compatible(a: Endpoint, b: Endpoint): boolean {
  return a.family === b.family || a.family === 'tag' || b.family === 'tag';
}

/** Candidate witnesses of a box: a "nice" flow (public remote, ephemeral source port), then corners. */
function samplePoints(box: RawBox, protocol: FlowProtocol): SamplePoint[] {
  const ported = hasPorts(protocol);
  const points: SamplePoint[] = [];
  const remoteNice = toEndpoint(addressSampleIp(box.remote, { preferPublic: true }));
  const localFirst = toEndpoint(addressSampleIp(box.local));
  if (remoteNice && localFirst && compatible(remoteNice, localFirst)) {
    points.push({
      remote: remoteNice,
      local: localFirst,
      sp: ported ? pickPort(box.sourcePorts, EPHEMERAL_PORT) : -1,
      dp: ported ? pickPort(box.destinationPorts) : -1,
    });
  }
  const locals = lastAddresses(box.local);
  for (const remote of lastAddresses(box.remote)) {
    let local: Endpoint | undefined;
    for (const l of locals) {
      if (compatible(remote, l)) {
        local = l;
        break;
      }
    }
    if (!local) continue;
    points.push({
      remote,
      local,
      sp: ported ? (box.sourcePorts[box.sourcePorts.length - 1] as number) : -1,
      dp: ported ? (box.destinationPorts[box.destinationPorts.length - 1] as number) : -1,
    });
  }
  return points;
}

function endpointText(endpoint: Endpoint, names: ReadonlyMap<string, string>): string {
  if (endpoint.family === 'tag') return names.get(endpoint.key) ?? endpoint.key;
  return formatIp(endpoint);
}

/**
 * For every rule of the NSG (custom and default, both directions, in processing order): does it
 * decide at least one flow? If so, one witness flow it decides; if not, the earlier rules that
 * decide every flow it matches (`shadowed`), or `matchesNothing` when it matches no flow at all
 * (an empty ASG, Icmp with ports, IPv4 sources with only IPv6 destinations, ...).
 */
export function ruleDecisions(nsg: Nsg, ctx: EvaluationContext): RuleDecision[] {
  const compiled = compileNsg(nsg, ctx);
  const atoms = atomUniverse([compiled], []);
  const names = displayNames([compiled]);
  const out: RuleDecision[] = [];
  for (const direction of ['Inbound', 'Outbound'] as const) {
    const rules = direction === 'Inbound' ? compiled.inbound : compiled.outbound;
    const inbound = direction === 'Inbound';
    // Rules matching a protocol and a port pair, in order: sample flows share a few service ports.
    const byPorts = new Map<string, number[]>();
    const firstMatchBefore = (flow: PointFlow, limit: number): number => {
      const key = `${flow.protocol}|${flow.sourcePort}|${flow.destinationPort}`;
      let list = byPorts.get(key);
      if (!list) {
        list = [];
        const ported = hasPorts(flow.protocol);
        for (let r = 0; r < rules.length; r++) {
          const rule = rules[r] as CompiledRule;
          if (rule.protocol !== '*' && rule.protocol !== flow.protocol) continue;
          if (ported ? !portContains(rule.sourcePorts, flow.sourcePort) || !portContains(rule.destinationPorts, flow.destinationPort) : !rule.portsAll) continue;
          list.push(r);
        }
        byPorts.set(key, list);
      }
      for (const r of list) {
        if (r > limit) break;
        const rule = rules[r] as CompiledRule;
        if (endpointIn(rule.source, flow.source) && endpointIn(rule.destination, flow.destination)) return r;
      }
      return -1;
    };
    rules.forEach((rule, index) => {
      const boxes: { protocol: FlowProtocol; box: RawBox }[] = [];
      const addressLanes = lanes({ remote: inbound ? rule.source : rule.destination, local: inbound ? rule.destination : rule.source, sourcePorts: PORTLESS, destinationPorts: PORTLESS });
      for (const protocol of FLOW_PROTOCOLS) {
        const own = ruleBox(rule, direction, protocol);
        if (own) for (const lane of addressLanes) boxes.push({ protocol, box: { ...own, remote: lane.remote, local: lane.local } });
      }
      if (boxes.length === 0) {
        out.push({ rule: rule.ref, decides: false, reason: 'matchesNothing', shadowedBy: [] });
        return;
      }
      // Cheap first: a few flows of the rule's box, decided by plain first match.
      const deciders = new Set<number>();
      for (const { protocol, box } of boxes) {
        for (const point of samplePoints(box, protocol)) {
          const flow: PointFlow = {
            protocol,
            source: inbound ? point.remote : point.local,
            destination: inbound ? point.local : point.remote,
            sourcePort: point.sp,
            destinationPort: point.dp,
          };
          const decider = firstMatchBefore(flow, index);
          if (decider !== index) deciders.add(decider);
          if (decider === index) {
            const witness: Flow = {
              direction,
              protocol,
              sourceIp: endpointText(flow.source, names),
              destinationIp: endpointText(flow.destination, names),
              ...(hasPorts(protocol) ? { sourcePort: point.sp, destinationPort: point.dp } : {}),
            };
            out.push({ rule: rule.ref, decides: true, witness });
            return;
          }
        }
      }
      // One earlier rule matching every flow of this one settles it without a partition. The first
      // such rule decides every sample, so the samples' deciders are tried before the rest.
      const coversAll = (j: number): boolean => {
        const other = rules[j] as CompiledRule;
        for (const { protocol, box } of boxes) if (!ruleCovers(other, direction, protocol, box)) return false;
        return true;
      };
      let coverer = [...deciders]
        .filter((j) => j >= 0 && j < index)
        .sort((a, b) => a - b)
        .find(coversAll);
      for (let j = 0; coverer === undefined && j < index; j++) if (coversAll(j)) coverer = j;
      if (coverer !== undefined) {
        // Every box shares the rule's ports and one list of address lanes: an earlier rule meets
        // some box when its protocol and ports meet one protocol's box and its addresses one lane.
        // Ported protocols (Tcp, Udp) all test the rule's own ports; portless ones need all ports.
        const ported = new Set<RuleProtocol>();
        const portless = new Set<RuleProtocol>();
        for (const { protocol } of boxes) (hasPorts(protocol) ? ported : portless).add(protocol);
        const shadowedBy: RuleRef[] = [];
        for (let r = 0; r <= coverer; r++) {
          const other = rules[r] as CompiledRule;
          const any = other.protocol === '*';
          let meets =
            (other.portsAll && (any ? portless.size > 0 : portless.has(other.protocol))) ||
            ((any ? ported.size > 0 : ported.has(other.protocol)) &&
              portOverlaps(rule.destinationPorts, other.destinationPorts) &&
              portOverlaps(rule.sourcePorts, other.sourcePorts));
          if (!meets) continue;
          meets = false;
          for (const lane of addressLanes) if ((meets = addressesMeet(other, inbound, lane))) break;
          if (meets) shadowedBy.push(other.ref);
        }
        out.push({ rule: rule.ref, decides: false, reason: 'shadowed', shadowedBy });
        return;
      }
      // Exact: partition the rule's box by the earlier rules and the rule itself.
      const upTo = rules.slice(0, index + 1);
      const shadowers = new Set<CompiledRule>();
      for (const { protocol, box } of boxes) {
        const result = decideLane(upTo, direction, protocol, box, atoms, rule);
        if (result.hit) {
          out.push({ rule: rule.ref, decides: true, witness: witnessFor(direction, protocol, result.hit, names) });
          return;
        }
        for (const r of result.painters) shadowers.add(r);
      }
      const shadowedBy = rules.filter((r) => shadowers.has(r)).map((r) => r.ref);
      out.push({ rule: rule.ref, decides: false, reason: 'shadowed', shadowedBy });
    });
  }
  return out;
}

/** The custom rules that decide no flow at all (shadowed, or matching nothing). */
export function shadowedRules(nsg: Nsg, ctx: EvaluationContext): RuleDecision[] {
  return ruleDecisions(nsg, ctx).filter((d) => !d.decides && !d.rule.isDefault);
}
