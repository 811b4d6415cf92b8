/**
 * `nsgwatch flow`: the offline equivalent of Network Watcher's IP flow verify (DESIGN §5). Loads
 * an estate from exported files, finds the NSG or NIC by name or id, and decides each flow with
 * the exact engine — a NIC's subnet NSG and NIC NSG composed per direction.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEstateFiles, readJsonFile } from '../estate/files.js';
import type { Estate, NetworkInterface, NetworkSecurityGroup } from '../estate/model.js';
import {
  contextInputs,
  guardsOfNetworkInterface,
  nsgVirtualNetworkScope,
  relateEstate,
  type AttachmentPoint,
  type EstateRelations,
  type NsgSlot,
  type VirtualNetworkScope,
} from '../estate/relations.js';
import {
  createContext,
  evaluateComposed,
  parseFlow,
  parseIp,
  parseNsg,
  parseServiceTags,
  type Access,
  type EvaluationContext,
  type Flow,
  type Layer,
  type Layers,
  type Nsg,
  type RuleRef,
  type ServiceTagData,
} from '../nsg/index.js';
import { normalizeId } from '../rules/finding.js';
import { EXIT, UsageError, type CliIo } from './io.js';

export const FLOW_HELP = `usage: nsgwatch flow [FILE ...] (--nsg NAME_OR_ID | --nic NAME_OR_ID)
                     --direction inbound|outbound --protocol tcp|udp|icmp|esp|ah
                     --source IP[:PORT] --destination IP[:PORT] [--json]
       nsgwatch flow [FILE ...] --queries FILE.jsonl

Decides flows the way Azure does: the offline equivalent of Network Watcher's IP flow verify.
Rules are processed by priority, default rules included; for a NIC, the subnet's NSG and the
NIC's NSG are composed (inbound: subnet first; outbound: NIC first) and the flow passes only if
each allows it.

  FILE                  JSON exported from Azure, in any shape \`nsgwatch scan\` reads (ARM REST,
                        list responses, az CLI output, Resource Graph, effective NSG lists)
  --nsg NAME_OR_ID      judge the flow by this NSG alone
  --nic NAME_OR_ID      judge the flow at this network interface (its subnet NSG + its own NSG)
  --direction D         inbound or outbound
  --protocol P          tcp, udp, icmp, esp or ah (icmp/esp/ah flows have no ports)
  --source A            IP[:PORT]; IPv6 as [addr]:port
  --destination A       IP[:PORT]; IPv6 as [addr]:port
  --service-tags FILE   service tag data (the weekly ServiceTags JSON or the Discovery API
                        response); without it, service tags match only rules that name them
  --queries FILE.jsonl  many flows in one run: one JSON object per line with keys nsg or nic,
                        direction, protocol, source, sourcePort, destination, destinationPort;
                        prints one JSON result per line, in order:
                        {"access":"Allow"|"Deny","decidedBy":[{"nsg","rule","priority"}]}
                        or {"error":"..."} for a query that cannot be answered
  --json                print the single answer as one JSON object
  -h, --help            show this help

Names are matched case-insensitively; an ambiguous name lists the candidate ids.
Exit codes: 0 answered, 2 usage or input error.
`;

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
  /** Where the NSG sits for this question. */
  layer: 'nsg' | 'subnet' | 'nic';
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
    }
  | { ok: false; error: string };

export interface FlowVerifier {
  verify(query: FlowQuery): FlowAnswer;
}

/** Answers flow questions against one estate; targets, parsed NSGs and contexts are reused. */
export function createFlowVerifier(estate: Estate, options: { serviceTags?: ServiceTagData } = {}): FlowVerifier {
  const relations = relateEstate(estate);
  const nsgsByName = indexByName(estate.networkSecurityGroups.values());
  const nicsByName = indexByName(estate.networkInterfaces.values());
  const parsed = new Map<string, { ok: true; nsg: Nsg } | { ok: false; error: string }>();
  const contexts = new Map<string, { ctx: EvaluationContext; notes: string[] }>();

  const parsedNsg = (nsg: NetworkSecurityGroup) => {
    let result = parsed.get(nsg.key);
    if (!result) {
      const outcome = parseNsg(nsg.raw, { id: nsg.id });
      result = outcome.ok
        ? { ok: true, nsg: outcome.nsg }
        : { ok: false, error: `NSG ${nsg.name} is not valid: ${outcome.errors.map(describeError).join('; ')}` };
      parsed.set(nsg.key, result);
    }
    return result;
  };

  const contextFor = (scope: VirtualNetworkScope) => {
    const key = scope.kind === 'known' ? scope.virtualNetwork.key : 'unknown';
    let entry = contexts.get(key);
    if (!entry) {
      const inputs = contextInputs(relations, scope);
      const ctx = createContext({
        ...(inputs.virtualNetworkPrefixes ? { virtualNetworkPrefixes: inputs.virtualNetworkPrefixes } : {}),
        asgAddresses: inputs.asgAddresses,
        ...(options.serviceTags ? { serviceTags: options.serviceTags } : {}),
      });
      entry = { ctx, notes: [...inputs.notes, ...ctx.assumptions, ...ctx.problems] };
      contexts.set(key, entry);
    }
    return entry;
  };

  const layerOf = (nsg: NetworkSecurityGroup, scope: VirtualNetworkScope): { layer: Layer; notes: string[] } | { error: string } => {
    const result = parsedNsg(nsg);
    if (!result.ok) return { error: result.error };
    const { ctx, notes } = contextFor(scope);
    const partial = nsg.partial ? [`NSG ${nsg.name} was assembled from standalone rules: any other rules it has are unknown`] : [];
    return { layer: { nsg: result.nsg, ctx }, notes: [...notes, ...partial] };
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
    const layers: { subnet?: Layer; nic?: Layer } = {};
    const notes: string[] = [];
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
    return answer(flow.flow, layers, nicTarget(found.value, point.value), notes, layerName);
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
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  const decidedBy = decision.decidedBy.map((ref, i) => step(ref, layerOf(ref.nsg, i)));
  const consulted = [layers.subnet, layers.nic].filter((l): l is Layer => l !== undefined);
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
  return { nsg: ref.nsg, nsgName: ref.nsgName, rule: ref.rule, priority: ref.priority, access: ref.access, layer };
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
        if (term.kind === 'tag' && !VIRTUAL_TAGS.has(term.key) && !layer.ctx.serviceTags?.has(term.key)) {
          notes.push(`service tag ${term.text} has no address data (load --service-tags): rule ${rule.name} matches no concrete address through it`);
        } else if (term.kind === 'asg' && (layer.ctx.asgAddresses.get(term.id)?.v4.length ?? 0) === 0 && (layer.ctx.asgAddresses.get(term.id)?.v6.length ?? 0) === 0) {
          notes.push(`application security group ${term.text.split('/').pop() ?? term.text} has no known members: rule ${rule.name} matches no address through it`);
        }
      }
    }
  }
  return notes;
}

const VIRTUAL_TAGS = new Set(['*', 'any', 'internet', 'virtualnetwork', 'azureloadbalancer']);

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
    default: {
      const unreachable: never = slot;
      throw new Error(`unknown NSG slot ${JSON.stringify(unreachable)}`);
    }
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
  const subnets = points.map((p) => p.subnetId?.split('/').pop() ?? '(no subnet)').join(', ');
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
    return found ? { ok: true, value: found } : { ok: false, error: `no ${what} with id ${bounded(wanted)} in the estate` };
  }
  const candidates = byName.get(wanted.toLowerCase()) ?? [];
  if (candidates.length === 1 && candidates[0]) return { ok: true, value: candidates[0] };
  if (candidates.length === 0) return { ok: false, error: `no ${what} named '${bounded(wanted)}' in the estate (${byId.size} loaded)` };
  return {
    ok: false,
    error: `${what} name '${bounded(wanted)}' is ambiguous: ${candidates.map((c) => c.id).join(', ')}; give the id instead`,
  };
}

/** Untrusted text in an answer, cut to a length a person reads. */
function bounded(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
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
    if (!match?.[1]) return { ok: false, error: `'${bounded(text)}' is not [IPv6]:PORT` };
    return match[2] === undefined ? { ok: true, ip: match[1] } : { ok: true, ip: match[1], port: match[2] };
  }
  const colons = value.split(':').length - 1;
  if (colons === 1) {
    const [ip = '', port = ''] = value.split(':');
    if (!/^\d+$/.test(port)) return { ok: false, error: `'${bounded(text)}': the port '${bounded(port)}' is not a number` };
    return { ok: true, ip, port };
  }
  return { ok: true, ip: value };
}

function describeError(error: { rule?: string; field?: string; message: string }): string {
  return [error.rule && `rule ${error.rule}`, error.field && `field ${error.field}`, error.message].filter(Boolean).join(': ');
}

interface FlowArgs {
  files: string[];
  help: boolean;
  json: boolean;
  serviceTags: string | undefined;
  queries: string | undefined;
  query: FlowQuery;
}

function parseFlowArgs(argv: string[]): FlowArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        nsg: { type: 'string' },
        nic: { type: 'string' },
        direction: { type: 'string' },
        protocol: { type: 'string' },
        source: { type: 'string' },
        destination: { type: 'string' },
        'service-tags': { type: 'string' },
        queries: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)} (see nsgwatch flow --help)`);
  }
  const v = parsed.values;
  const query: FlowQuery = {};
  for (const key of ['nsg', 'nic', 'direction', 'protocol', 'source', 'destination'] as const) {
    if (v[key] !== undefined) query[key] = v[key];
  }
  return {
    files: parsed.positionals,
    help: v.help === true,
    json: v.json === true,
    serviceTags: v['service-tags'],
    queries: v.queries,
    query,
  };
}

function checkSingleQuery(args: FlowArgs): void {
  const q = args.query;
  if ((q.nsg === undefined) === (q.nic === undefined)) throw new UsageError('give --nsg or --nic (one of them)');
  const missing = (['direction', 'protocol', 'source', 'destination'] as const).filter((k) => q[k] === undefined);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')} (see nsgwatch flow --help)`);
}

export async function flowCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseFlowArgs(argv);
  if (args.help) {
    io.stdout.write(FLOW_HELP);
    return EXIT.ok;
  }
  if (args.queries !== undefined) {
    const given = Object.keys(args.query).map((k) => `--${k}`);
    if (given.length > 0) throw new UsageError(`--queries takes every flow from its file; drop ${given.join(', ')}`);
    if (args.json) throw new UsageError('--queries always prints JSON lines; drop --json');
  } else {
    checkSingleQuery(args);
  }
  if (args.files.length === 0) throw new UsageError('give the estate files to read (see nsgwatch flow --help)');

  const loaded = await loadEstateFiles(args.files, io.cwd);
  if (!loaded.ok) throw new UsageError(loaded.problems.map((p) => p.message).join('\n'));
  for (const error of loaded.estate.errors) {
    io.stderr.write(`warning: ${error.resourceId}: ${error.message}\n`);
  }
  let serviceTags: ServiceTagData | undefined;
  if (args.serviceTags !== undefined) {
    const read = await readJsonFile(args.serviceTags, io.cwd);
    if (!read.ok) throw new UsageError(read.problem.message);
    const tags = parseServiceTags(read.value);
    if (!tags.ok) throw new UsageError(`${args.serviceTags}: ${tags.error}`);
    serviceTags = tags.data;
  }
  const verifier = createFlowVerifier(loaded.estate, serviceTags ? { serviceTags } : {});

  if (args.queries !== undefined) return answerQueries(verifier, args.queries, io);

  const result = verifier.verify(args.query);
  if (!result.ok) throw new UsageError(result.error);
  if (args.json) {
    io.stdout.write(`${JSON.stringify(contractShape(result))}\n`);
    for (const note of result.notes) io.stderr.write(`note: ${note}\n`);
  } else {
    io.stdout.write(humanAnswer(result));
  }
  return EXIT.ok;
}

/** The JSON result of DESIGN §5: `{ access, decidedBy: [{ nsg, rule, priority }] }`. */
function contractShape(result: Extract<FlowAnswer, { ok: true }>) {
  return { access: result.access, decidedBy: result.decidedBy.map((s) => ({ nsg: s.nsg, rule: s.rule, priority: s.priority })) };
}

async function answerQueries(verifier: FlowVerifier, path: string, io: CliIo): Promise<number> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : String(error)}`);
  }
  const out: string[] = [];
  const notes = new Map<string, number>();
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    let query: unknown;
    try {
      query = JSON.parse(line);
    } catch (error) {
      out.push(JSON.stringify({ error: `line ${lineNumber} is not JSON: ${error instanceof Error ? error.message : String(error)}` }));
      continue;
    }
    if (typeof query !== 'object' || query === null || Array.isArray(query)) {
      out.push(JSON.stringify({ error: `line ${lineNumber} is not a JSON object` }));
      continue;
    }
    const result = verifier.verify(query as FlowQuery);
    if (result.ok) {
      out.push(JSON.stringify(contractShape(result)));
      for (const note of result.notes) notes.set(note, (notes.get(note) ?? 0) + 1);
    } else {
      out.push(JSON.stringify({ error: `line ${lineNumber}: ${result.error}` }));
    }
    if (out.length >= 4096) io.stdout.write(`${out.splice(0).join('\n')}\n`);
  }
  if (out.length > 0) io.stdout.write(`${out.join('\n')}\n`);
  for (const [note, count] of notes) io.stderr.write(`note: ${note}${count > 1 ? ` (${count} queries)` : ''}\n`);
  return EXIT.ok;
}

function humanAnswer(result: Extract<FlowAnswer, { ok: true }>): string {
  const f = result.flow;
  const endpoint = (ip: string, port: number | undefined) => {
    const host = ip.includes(':') ? `[${ip}]` : ip;
    return port === undefined ? ip : `${host}:${port}`;
  };
  const lines = [
    `${result.access}: ${f.direction} ${f.protocol} ${endpoint(f.sourceIp, f.sourcePort)} -> ${endpoint(f.destinationIp, f.destinationPort)} at ${result.target}`,
  ];
  if (result.decidedBy.length === 0) {
    lines.push('decided by: no NSG (nothing guards it, so everything passes)');
  } else {
    lines.push('decided by:');
    const rows = result.decidedBy.map((s) => [
      s.layer === 'nsg' ? s.nsgName : `${s.nsgName} (${s.layer === 'subnet' ? 'subnet NSG' : 'NIC NSG'})`,
      s.rule,
      `priority ${s.priority}`,
      s.access,
    ]);
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
    for (const row of rows) lines.push(`  ${row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ')}`);
  }
  for (const note of result.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}
