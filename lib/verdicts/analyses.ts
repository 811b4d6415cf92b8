/**
 * Region analyses of effective policies, memoised per NSG pair so that the points sharing a pair
 * share the work, and the remote sides (names and CIDRs as a policy writes them) they are asked for.
 */
import {
  actionOf,
  addressDifference,
  addressIntersect,
  addressIsEmpty,
  addressIsSubset,
  addressUnion,
  ALL_PORTS,
  analyzeRegion,
  hasPorts,
  isBroad,
  namedSet,
  NO_ADDRESS,
  NO_PORTS,
  portIntersect,
  portIsEmpty,
  portIsSubset,
  portUnion,
  readAddressTerm,
  resolveTerm,
  resolveTerms,
  type AddressSet,
  type Direction,
  type EvaluationContext,
  type FlowProtocol,
  type Layer,
  type PortSet,
} from '../nsg/index.js';
import { nsgKeyOf } from './points.js';
import { portSegments } from './segments.js';
import type { EffectivePoint, EstateView, PairAnalysis, RemoteSide } from './view.js';

export type Analyses = Pick<EstateView, 'remote' | 'analyze' | 'broadPorts' | 'customBroadPorts' | 'askedPorts' | 'endRule'>;

/**
 * A question the rules of a run will ask of every point: flows in a direction and protocol with a
 * remote side (names and CIDRs as a policy writes them), at some destination ports.
 */
export interface Question {
  direction: Direction;
  protocol: FlowProtocol;
  remote: readonly string[];
  except: readonly string[];
  ports: PortSet;
  /** The index, in the run's rules, of the rule that asks it (see endRule). */
  asker?: number;
}

/** The key of a remote side across contexts: the names as written, in any case. */
function remoteKey(names: readonly string[], except: readonly string[]): string {
  return `${names.map((n) => n.toLowerCase()).join(',')}${except.length > 0 ? `-${except.map((n) => n.toLowerCase()).join(',')}` : ''}`;
}

interface Allow {
  ports: PortSet;
  remote: AddressSet;
}

interface Allows {
  allows: Allow[];
  total: AddressSet;
}

/**
 * `points` builds every point first (so each pair knows all its local addresses); `pairLocal`
 * gives the addresses of every point of a pair.
 */
export function createAnalyses(points: () => unknown, pairLocal: (pairKey: string) => AddressSet, questions: readonly Question[] = []): Analyses {
  // Per question, the ports its askers want together: one analysis of those serves them all; and
  // the last rule of the run to ask it, after which its analyses are no longer wanted.
  const asked = new Map<string, PortSet>();
  const lastAsker = new Map<string, number>();
  for (const q of questions) {
    const key = `${q.direction}|${q.protocol}|${remoteKey(q.remote, q.except)}`;
    asked.set(key, portUnion(asked.get(key) ?? NO_PORTS, hasPorts(q.protocol) ? q.ports : ALL_PORTS));
    if (q.asker !== undefined) lastAsker.set(key, Math.max(lastAsker.get(key) ?? -1, q.asker));
  }
  const askedPorts = (direction: Direction, protocol: FlowProtocol, side: RemoteSide): PortSet => asked.get(`${direction}|${protocol}|${side.key}`) ?? ALL_PORTS;
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
        const read = readAddressTerm(name);
        return addressUnion(acc, read.ok ? resolveTerm(read.term, ctx) : namedSet(ctx, name));
      }, NO_ADDRESS);
    const set = except.length > 0 ? addressDifference(resolve(names), resolve(except)) : resolve(names);
    return { key: remoteKey(names, except), set };
  };

  // Memos are keyed by the pair first (each point holds its pair key, so its hash is computed once),
  // then by the short rest of the question: no long key is built per point and question.
  // Each question remembers the last rule that asked it: those no rule asked for during the last
  // two rules are let go when a rule ends (they hold most of a large scan's memory, and the rules
  // that share a question run one after another), unless a rule still to run will ask them.
  const analyses = new Map<string, Map<string, { asked: number; entries: (PairAnalysis & { ports: PortSet })[] }>>();
  let rule = 0;
  const analyze = (
    point: EffectivePoint,
    direction: Direction,
    protocol: FlowProtocol,
    side: RemoteSide,
    ports: PortSet = ALL_PORTS,
  ): PairAnalysis => {
    const byPair = memoOf(analyses, point.pairKey);
    const key = `${direction}|${protocol}|${side.key}`;
    let question = byPair.get(key);
    if (!question) byPair.set(key, (question = { asked: rule, entries: [] }));
    question.asked = rule;
    const entries = question.entries;
    const cached = entries.find((e) => portIsSubset(ports, e.ports) && addressIsSubset(point.local, e.local));
    if (cached) return cached;
    points();
    // One analysis serves every point of the pair: it covers all their addresses.
    const local = addressUnion(pairLocal(point.pairKey), point.local);
    const analysis = analyzeRegion(point.layers, { direction, protocol, remote: side.set, local, destinationPorts: ports });
    const entry = { ports, local, analysis, spansLocal: analysis.parts.map((part) => addressIsSubset(local, part.local)) };
    entries.push(entry);
    return entry;
  };

  const candidates = new Map<string, Map<string, PortSet>>();
  const nsgKeys = new WeakMap<Layer['nsg'], string>();
  /** A layer's NSG key, computed once per NSG. */
  const keyOf = (layer: Layer): string => {
    let nsgKey = nsgKeys.get(layer.nsg);
    if (nsgKey === undefined) nsgKeys.set(layer.nsg, (nsgKey = nsgKeyOf(layer)));
    return nsgKey;
  };
  const layerAllows = new WeakMap<EvaluationContext, Map<string, Map<string, Allows>>>();
  /**
   * A layer's Allow rules meeting the remote side, by destination ports: all of them, the custom
   * ones (no default rule), or the AlwaysAllow ones alone (admin rules).
   */
  const allowsOf = (layer: Layer, direction: Direction, protocol: FlowProtocol, side: RemoteSide, which: 'allow' | 'custom' | 'always'): Allows => {
    let byCtx = layerAllows.get(layer.ctx);
    if (!byCtx) layerAllows.set(layer.ctx, (byCtx = new Map()));
    const byLayer = memoOf(byCtx, keyOf(layer));
    const key = `${direction}|${protocol}|${side.key}|${which}`;
    const cached = byLayer.get(key);
    if (cached) return cached;
    const inbound = direction === 'Inbound';
    const allows: Allow[] = [];
    let total: AddressSet = NO_ADDRESS;
    for (const rule of inbound ? layer.nsg.inbound : layer.nsg.outbound) {
      if (rule.access !== 'Allow' || (rule.protocol !== '*' && rule.protocol !== protocol)) continue;
      if (which === 'always' ? actionOf(rule) !== 'AlwaysAllow' : which === 'custom' && rule.isDefault) continue;
      const far = addressIntersect(resolveTerms(inbound ? rule.source : rule.destination, layer.ctx), side.set);
      if (addressIsEmpty(far)) continue;
      allows.push({ ports: rule.destinationPorts, remote: far });
      total = addressUnion(total, far);
    }
    const entry = { allows, total };
    byLayer.set(key, entry);
    return entry;
  };
  const broadMemo = new WeakMap<EvaluationContext, Map<string, Map<string, PortSet>>>();
  /**
   * One NSG's broad ports in a context: where its Allow rules' remote sides, with the admin rules'
   * AlwaysAllow ones (which let flows past every NSG), together are broad.
   */
  const layerBroadPorts = (layer: Layer, always: Allows | undefined, alwaysKey: string, direction: Direction, protocol: FlowProtocol, side: RemoteSide): PortSet => {
    let byCtx = broadMemo.get(layer.ctx);
    if (!byCtx) broadMemo.set(layer.ctx, (byCtx = new Map()));
    const byLayer = memoOf(byCtx, keyOf(layer));
    const key = `${direction}|${protocol}|${side.key}|${alwaysKey}`;
    const cached = byLayer.get(key);
    if (cached) return cached;
    const own = allowsOf(layer, direction, protocol, side, 'allow');
    const allows = always ? [...own.allows, ...always.allows] : own.allows;
    const total = always ? addressUnion(own.total, always.total) : own.total;
    const ports = broadAt(allows, total, layer.ctx);
    byLayer.set(key, ports);
    return ports;
  };
  const broadPorts = (point: EffectivePoint, direction: Direction, protocol: FlowProtocol, side: RemoteSide): PortSet => {
    const byPair = memoOf(candidates, point.pairKey);
    const key = `${direction}|${protocol}|${side.key}`;
    let ports = byPair.get(key);
    if (ports) return ports;
    ports = ALL_PORTS;
    const admin = point.layers.admin;
    const always = admin ? allowsOf(admin, direction, protocol, side, 'always') : undefined;
    const alwaysKey = admin ? keyOf(admin) : '-';
    for (const layer of [point.layers.nic, point.layers.subnet]) {
      if (layer && !portIsEmpty(ports)) ports = portIntersect(ports, layerBroadPorts(layer, always, alwaysKey, direction, protocol, side));
    }
    byPair.set(key, ports);
    return ports;
  };

  const customs = new Map<string, Map<string, PortSet>>();
  /**
   * Ports at which custom rules could let a broad part of `remote` through: where the custom
   * Allow rules of the point's NSGs and the admin rules' AlwaysAllow ones, all together, are
   * broad. A flow one of them does not allow is decided by default rules alone.
   */
  const customBroadPorts = (point: EffectivePoint, direction: Direction, protocol: FlowProtocol, side: RemoteSide): PortSet => {
    const byPair = memoOf(customs, point.pairKey);
    const key = `${direction}|${protocol}|${side.key}`;
    let ports = byPair.get(key);
    if (ports) return ports;
    const allows: Allow[] = [];
    let total: AddressSet = NO_ADDRESS;
    const layers = [point.layers.nic, point.layers.subnet].flatMap((layer) => (layer ? [allowsOf(layer, direction, protocol, side, 'custom')] : []));
    if (point.layers.admin) layers.push(allowsOf(point.layers.admin, direction, protocol, side, 'always'));
    for (const layer of layers) {
      allows.push(...layer.allows);
      total = addressUnion(total, layer.total);
    }
    ports = broadAt(allows, total, point.ctx);
    byPair.set(key, ports);
    return ports;
  };

  const endRule = (index = Infinity): void => {
    for (const [pairKey, byPair] of analyses) {
      for (const [key, question] of byPair) if (question.asked < rule - 1 && (lastAsker.get(key) ?? -1) <= index) byPair.delete(key);
      if (byPair.size === 0) analyses.delete(pairKey);
    }
    rule += 1;
  };

  return { remote, analyze, broadPorts, customBroadPorts, askedPorts, endRule };
}

/** The ports at which the Allow rules' remote sides together are broad (`total`: all of them). */
function broadAt(allows: readonly Allow[], total: AddressSet, ctx: EvaluationContext): PortSet {
  let ports: PortSet = NO_PORTS;
  // Cheap first: if all the Allow rules together are not broad, no port can be.
  if (!isBroad(total, ctx)) return ports;
  // A rule broad on its own makes every port it allows broad: no union is needed there.
  const alone = new Set(allows.filter((a) => isBroad(a.remote, ctx)));
  for (const segment of portSegments(allows, (a) => a.ports)) {
    const broad = segment.members.some((a) => alone.has(a)) || isBroad(segment.members.reduce<AddressSet>((acc, a) => addressUnion(acc, a.remote), NO_ADDRESS), ctx);
    if (broad) ports = portUnion(ports, segment.ports);
  }
  return ports;
}

/** The inner map of a two-level memo, created on first use. */
export function memoOf<K, V>(outer: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Map()));
  return inner;
}
