/** First-match decisions on concrete flows, for one NSG and for a NIC's subnet + NIC NSGs. */
import { boundedText, describeValue } from './describe-value.js';
import type {
  WitnessFlow,
  ComposedDecision,
  Direction,
  EvaluationContext,
  Flow,
  FlowDecision,
  FlowParseResult,
  FlowProtocol,
  Layer,
  Layers,
  Nsg,
  RuleRef,
} from './types.js';
import { parseIp } from './addresses.js';
import { type Endpoint, type PointFlow, compileNsg, firstMatch, hasPorts, parseEndpoint } from './compile.js';
import { MAX_PORT } from './ports.js';
import { isRecord } from './values.js';
import { actionOf } from './admin.js';

const PROTOCOLS: Readonly<Record<string, FlowProtocol>> = { tcp: 'Tcp', udp: 'Udp', icmp: 'Icmp', esp: 'Esp', ah: 'Ah' };
const DIRECTIONS: Readonly<Record<string, Direction>> = { inbound: 'Inbound', outbound: 'Outbound' };
const TAG_LIKE = /^[A-Za-z][A-Za-z0-9._-]*$/;


/**
 * Validates a flow from untrusted input: `{ direction, protocol, sourceIp | source, sourcePort,
 * destinationIp | destination, destinationPort }`, case-insensitive. Tcp/Udp need both ports;
 * Icmp/Esp/Ah take none; both IPs must be of one family (a tag name pairs with either).
 */
export function parseFlow(raw: unknown): FlowParseResult {
  if (!isRecord(raw)) return { ok: false, errors: [{ field: 'flow', message: 'the flow is not an object' }] };
  const errors: { field: string; message: string }[] = [];
  const direction = typeof raw['direction'] === 'string' ? DIRECTIONS[raw['direction'].trim().toLowerCase()] : undefined;
  if (!direction) errors.push({ field: 'direction', message: `direction ${describeValue(raw['direction'])} is neither Inbound nor Outbound` });
  const protocol = typeof raw['protocol'] === 'string' ? PROTOCOLS[raw['protocol'].trim().toLowerCase()] : undefined;
  if (!protocol) errors.push({ field: 'protocol', message: `protocol ${describeValue(raw['protocol'])} is not Tcp, Udp, Icmp, Esp or Ah` });
  const address = (field: 'sourceIp' | 'destinationIp', alias: string): string | undefined => {
    const value = raw[field] ?? raw[alias];
    if (typeof value !== 'string' || value.trim() === '') {
      errors.push({ field, message: `${field} is missing` });
      return undefined;
    }
    const text = value.trim();
    if (!parseIp(text) && !TAG_LIKE.test(text)) {
      errors.push({ field, message: `'${boundedText(text)}' is not an IPv4 or IPv6 address` });
      return undefined;
    }
    return text;
  };
  const sourceIp = address('sourceIp', 'source');
  const destinationIp = address('destinationIp', 'destination');
  if (sourceIp && destinationIp) {
    const a = parseIp(sourceIp);
    const b = parseIp(destinationIp);
    if (a && b && a.family !== b.family) {
      errors.push({ field: 'destinationIp', message: 'source and destination are of different IP versions' });
    }
  }
  const port = (field: 'sourcePort' | 'destinationPort'): number | undefined => {
    const value = raw[field];
    const given = value !== undefined && value !== null && value !== '';
    if (!protocol) return undefined;
    if (!hasPorts(protocol)) {
      if (given && value !== '*') errors.push({ field, message: `${protocol} flows have no ports` });
      return undefined;
    }
    if (!given) {
      errors.push({ field, message: `${field} is missing (${protocol} flows have ports)` });
      return undefined;
    }
    const n = typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_PORT) {
      errors.push({ field, message: `${field} ${describeValue(value)} is not a port 0-65535` });
      return undefined;
    }
    return n;
  };
  const sourcePort = port('sourcePort');
  const destinationPort = port('destinationPort');
  if (errors.length > 0 || !direction || !protocol || !sourceIp || !destinationIp) return { ok: false, errors };
  return {
    ok: true,
    flow: {
      direction,
      protocol,
      sourceIp,
      destinationIp,
      ...(sourcePort === undefined ? {} : { sourcePort }),
      ...(destinationPort === undefined ? {} : { destinationPort }),
    },
  };
}

function pointFlow(flow: Flow, ctx: EvaluationContext): PointFlow {
  const endpoint = (text: string, field: string): Endpoint => {
    const parsed = parseEndpoint(text, ctx);
    if (typeof parsed === 'string') throw new RangeError(`flow ${field}: ${parsed}`);
    return parsed;
  };
  const source = endpoint(flow.sourceIp, 'sourceIp');
  const destination = endpoint(flow.destinationIp, 'destinationIp');
  if (source.family !== 'tag' && destination.family !== 'tag' && source.family !== destination.family) {
    throw new RangeError('flow: source and destination are of different IP versions');
  }
  if (hasPorts(flow.protocol) && (flow.sourcePort === undefined || flow.destinationPort === undefined)) {
    throw new RangeError(`flow: ${flow.protocol} flows need a source and a destination port`);
  }
  return {
    protocol: flow.protocol,
    source,
    destination,
    sourcePort: flow.sourcePort ?? -1,
    destinationPort: flow.destinationPort ?? -1,
  };
}

/**
 * The NSG's verdict: the first rule by priority that matches the flow (default rules included).
 * The flow must be valid (see parseFlow); an invalid one throws a RangeError naming the field.
 */
export function evaluateFlow(nsg: Nsg, flow: Flow, ctx: EvaluationContext): FlowDecision {
  const compiled = compileNsg(nsg, ctx);
  const rules = flow.direction === 'Inbound' ? compiled.inbound : compiled.outbound;
  const index = firstMatch(rules, pointFlow(flow, ctx));
  const decided = rules[index];
  // Unreachable with default rules present: DenyAll matches every flow.
  if (!decided) throw new Error(`NSG ${nsg.id} has no rule matching the flow`);
  return { access: decided.rule.access, rule: decided.ref };
}

/** The layers in processing order for a direction: inbound subnet → NIC, outbound NIC → subnet. */
export function orderedLayers(layers: Layers, direction: Direction): Layer[] {
  const order = direction === 'Inbound' ? [layers.subnet, layers.nic] : [layers.nic, layers.subnet];
  return order.filter((l): l is Layer => l !== undefined);
}

/**
 * The verdict of a NIC's subnet NSG and NIC NSG: inbound subnet first, outbound NIC first;
 * the flow passes only if each present NSG allows it. A missing NSG allows everything.
 */
export function evaluateComposed(layers: Layers, flow: Flow): ComposedDecision {
  const decidedBy: RuleRef[] = [];
  if (layers.admin) {
    // Admin rules first: Deny and AlwaysAllow end evaluation, Allow (or no match) goes on to the NSGs.
    const compiled = compileNsg(layers.admin.nsg, layers.admin.ctx);
    const rules = flow.direction === 'Inbound' ? compiled.inbound : compiled.outbound;
    const hit = rules[firstMatch(rules, pointFlow(flow, layers.admin.ctx))];
    if (hit) {
      decidedBy.push(hit.ref);
      const action = actionOf(hit.rule);
      if (action === 'Deny') return { access: 'Deny', decidedBy };
      if (action === 'AlwaysAllow') return { access: 'Allow', decidedBy };
    }
  }
  for (const layer of orderedLayers(layers, flow.direction)) {
    const decision = evaluateFlow(layer.nsg, flow, layer.ctx);
    decidedBy.push(decision.rule);
    if (decision.access === 'Deny') return { access: 'Deny', decidedBy };
  }
  return { access: 'Allow', decidedBy };
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
