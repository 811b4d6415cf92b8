/**
 * `nsgwatch flow`: the offline equivalent of Network Watcher's IP flow verify (DESIGN §5). Loads
 * an estate from exported files, finds the NSG or NIC by name or id, and decides each flow with
 * the exact engine — a NIC's subnet NSG and NIC NSG composed per direction.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadEstateFiles, readJsonFile } from '../local/files.js';
import { createFlowVerifier, type FlowAnswer, type FlowQuery, type FlowVerifier } from '../flow/verifier.js';
import { errorMessage, parseServiceTags, type ServiceTagData } from '../nsg/index.js';
import { EXIT, parseCommandArgs, UsageError, type CliIo } from './io.js';
import { nameOfId } from '../arm/index.js';

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

interface FlowArgs {
  files: string[];
  help: boolean;
  json: boolean;
  serviceTags: string | undefined;
  queries: string | undefined;
  query: FlowQuery;
}

function parseFlowArgs(argv: string[]): FlowArgs {
  const parsed = parseCommandArgs('flow', argv, {
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
  });
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
    if (result.translation) io.stderr.write(`translated: ${result.translation}\n`);
    for (const note of result.notes) io.stderr.write(`note: ${note}\n`);
  } else {
    io.stdout.write(humanAnswer(result));
  }
  return EXIT.ok;
}

/** The JSON result of DESIGN §5: `{ access, decidedBy: [{ nsg, rule, priority }] }`. */
function contractShape(result: Extract<FlowAnswer, { ok: true }>) {
  return {
    access: result.access,
    // A security admin rule names its network manager where an NSG rule names its NSG, and says where it sits.
    decidedBy: result.decidedBy.map((s) => (s.admin ? { nsg: s.admin.manager, rule: s.rule, priority: s.priority, admin: s.admin } : { nsg: s.nsg, rule: s.rule, priority: s.priority })),
  };
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
      out.push(JSON.stringify({ error: `line ${lineNumber} is not JSON: ${errorMessage(error)}` }));
      continue;
    }
    if (typeof query !== 'object' || query === null || Array.isArray(query)) {
      out.push(JSON.stringify({ error: `line ${lineNumber} is not a JSON object` }));
      continue;
    }
    const result = verifier.verify(query);
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
    const rows = result.decidedBy.map((s) =>
      s.admin
        ? [
            `security admin rules (network manager ${nameOfId(s.admin.manager)}, configuration ${nameOfId(s.admin.configuration)}, collection ${nameOfId(s.admin.collection)})`,
            s.rule,
            `priority ${s.priority}`,
            s.admin.action,
          ]
        : [s.layer === 'nsg' ? s.nsgName : `${s.nsgName} (${s.layer === 'subnet' ? 'subnet NSG' : 'NIC NSG'})`, s.rule, `priority ${s.priority}`, s.access],
    );
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
    for (const row of rows) lines.push(`  ${row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ')}`);
  }
  if (result.translation) lines.push(`translated: ${result.translation}`);
  for (const note of result.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}
