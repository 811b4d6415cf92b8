/**
 * `nsgwatch scan` (DESIGN §5): evaluate exported estate files (any shape, mixed, ARM templates
 * too) and/or live subscriptions against the rule catalogue and users' policies; print a table,
 * JSON or SARIF; exit 0 (nothing at or above --fail-on), 1 (findings) or 2 (usage/input error).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type EstateDocument, loadEstate } from '../estate/load.js';
import type { Estate } from '../estate/model.js';
import { readJsonFile } from '../local/files.js';
import { resourcesFromTemplate, unresolvedErrors } from '../estate/template.js';
import { errorMessage, parseServiceTags, type ServiceTagData } from '../nsg/index.js';
import type { FlowPolicy } from '../policy/model.js';
import { formatPolicyError, parsePolicies } from '../policy/parse.js';
import { RULES, prepareEvaluation, ruleFromPolicy, type EvaluateOutput, type RuleRun } from '../rules/index.js';
import { createHeapKeeper, type HeapKeeper } from './heap.js';
import { SEVERITIES, isSeverity, type ResourceError, type Severity } from '../verdicts/finding.js';
import type { RuleSettings } from '../verdicts/view.js';
import { jsonChunks } from '../report/json.js';
import { failing, incomplete, type ScanReport } from '../report/report.js';
import { sarifChunks } from '../report/sarif.js';
import { tableChunks } from '../report/table.js';
import type { ArmReader } from '../azure/arm.js';
import { EXIT, parseCommandArgs, UsageError, type CliIo } from './io.js';
import { dealRules, IDLE_CORES_FOR_TWO, parseThreads, startWorker, threadCount, THREADS_FROM_BYTES, type StartedWorker } from './scan-threads.js';

export const SCAN_HELP = `usage: nsgwatch scan [FILE ...] [--subscription ID ...] [--service-tags FILE]
                     [--policy FILE ...] [--format table|json|sarif] [--fail-on SEVERITY]
                     [--threads N|auto]

Evaluates Azure network security groups against the rule catalogue (docs/rules.md) and your own
policies (docs/policies.md) with the exact semantics Azure applies to traffic: rules by priority,
default rules included, subnet and NIC NSGs composed at each attachment point.

  FILE                  JSON exported from Azure, in any of these shapes, mixed freely: ARM REST,
                        list responses {"value": [...]}, bare arrays, az CLI output, Resource
                        Graph {"data": [...]}; or an ARM template (parameter defaults resolved)
  --subscription ID     read the subscription's network inventory live from Azure Resource
                        Manager (DefaultAzureCredential: az login, managed identity, ...)
  --service-tags FILE   service tag data (the weekly ServiceTags JSON or the Discovery API
                        response); without it, tags stay symbolic and count as broad
  --policy FILE         your policies (YAML or JSON); repeat for several files
  --format F            table (default), json or sarif (SARIF 2.1.0 for code scanning)
  --fail-on SEVERITY    exit 1 when a finding is at or above it: critical, high, medium, low
                        (default) or info
  --broad-threshold B   "reachable from the Internet" means more than 2^B4 IPv4 or 2^B6 IPv6
                        addresses; B is B4 or B4,B6 (default 24,96)
  --allow-unjudged      pass even when input that failed validation left NSGs, subnets or NICs
                        not judged (they are still listed); without it such a scan exits 2
  --threads N           evaluate on N threads (default auto: 2 when the files hold
                        ${THREADS_FROM_BYTES / 2 ** 20} MiB or more and ${IDLE_CORES_FOR_TWO} cores are idle, else 1); also
                        NSGWATCH_SCAN_THREADS. The report is the same on any number
  --progress            report progress on stderr (default: only on a terminal, after 1 s)
  -h, --help            show this help

Exit codes: 0 no finding at or above --fail-on, 1 at least one, 2 usage or input error, or
something not judged (the report lists what and why; see --allow-unjudged).
`;

interface ScanArgs {
  files: string[];
  subscriptions: string[];
  serviceTags: string | undefined;
  policies: string[];
  format: 'table' | 'json' | 'sarif';
  failOn: Severity;
  settings: Partial<RuleSettings>;
  /** Threads asked for (--threads, else NSGWATCH_SCAN_THREADS); undefined: by the input's size and the idle cores. */
  threads: number | undefined;
  progress: boolean;
  allowUnjudged: boolean;
  help: boolean;
}

const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseScanArgs(argv: string[]): ScanArgs {
  const parsed = parseCommandArgs('scan', argv, {
    subscription: { type: 'string', multiple: true },
    'service-tags': { type: 'string' },
    policy: { type: 'string', multiple: true },
    format: { type: 'string' },
    'fail-on': { type: 'string' },
    'broad-threshold': { type: 'string' },
    threads: { type: 'string' },
    progress: { type: 'boolean' },
    'allow-unjudged': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const v = parsed.values;
  const format = (v.format ?? 'table').toLowerCase();
  if (format !== 'table' && format !== 'json' && format !== 'sarif') throw new UsageError(`--format ${v.format ?? ''}: expected table, json or sarif`);
  const failOn = (v['fail-on'] ?? 'low').toLowerCase();
  if (!isSeverity(failOn)) throw new UsageError(`--fail-on ${v['fail-on'] ?? ''}: expected one of ${SEVERITIES.join(', ')}`);
  const subscriptions = v.subscription ?? [];
  for (const id of subscriptions) if (!SUBSCRIPTION_ID.test(id.trim())) throw new UsageError(`--subscription ${id}: not a subscription id (a GUID)`);
  const threads = v.threads === undefined ? parseThreads(process.env['NSGWATCH_SCAN_THREADS'], 'NSGWATCH_SCAN_THREADS') : parseThreads(v.threads, '--threads');
  if (threads instanceof Error) throw new UsageError(threads.message);
  return {
    files: parsed.positionals,
    subscriptions: subscriptions.map((s) => s.trim().toLowerCase()),
    serviceTags: v['service-tags'],
    policies: v.policy ?? [],
    format,
    failOn,
    settings: v['broad-threshold'] === undefined ? {} : { broadThreshold: parseThreshold(v['broad-threshold']) },
    threads,
    progress: v.progress === true,
    allowUnjudged: v['allow-unjudged'] === true,
    help: v.help === true,
  };
}

function parseThreshold(text: string): RuleSettings['broadThreshold'] {
  const match = /^\s*(\d{1,2})\s*(?:,\s*(\d{1,3})\s*)?$/.exec(text);
  const v4 = Number(match?.[1]);
  const v6 = match?.[2] === undefined ? 96 : Number(match[2]);
  if (!match || v4 > 32 || v6 > 128) throw new UsageError(`--broad-threshold ${text}: expected B4 or B4,B6 with B4 ≤ 32 and B6 ≤ 128 (e.g. 24,96)`);
  return { ipv4: 2 ** v4, ipv6: 1n << BigInt(v6) };
}

function isTemplate(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const schema = (json as Record<string, unknown>)['$schema'];
  return typeof schema === 'string' && /deploymentTemplate\.json/i.test(schema);
}

interface Inputs {
  documents: EstateDocument[];
  errors: ResourceError[];
  contents: Map<string, string>;
  /** Templates whose resources could not all be resolved (their errors say why). */
  partialTemplates: Set<string>;
}

/** Reads every file; templates go through the template loader. A file that cannot be read stops the scan. */
async function readInputs(files: readonly string[], cwd: string, keepText: boolean): Promise<Inputs> {
  const documents: EstateDocument[] = [];
  const errors: ResourceError[] = [];
  const contents = new Map<string, string>();
  const partialTemplates = new Set<string>();
  const problems: string[] = [];
  for (const file of files) {
    const read = await readJsonFile(file, cwd);
    if (!read.ok) {
      problems.push(read.problem.message);
      continue;
    }
    if (keepText) contents.set(file, await readFile(resolve(cwd, file), 'utf8'));
    if (!isTemplate(read.value)) {
      documents.push({ source: file, json: read.value });
      continue;
    }
    const parametersFile = join(dirname(resolve(cwd, file)), basename(file).replace(/\.json$/i, '.parameters.json'));
    const parameters = parametersFile === resolve(cwd, file) ? undefined : await readJsonFile(parametersFile, cwd);
    // The label stands in for the resource group in ids: the quickstart folder, or the file's name.
    const label = (basename(file) === 'azuredeploy.json' ? basename(dirname(resolve(cwd, file))) : basename(file, '.json')).replace(/[^A-Za-z0-9._-]/g, '-');
    const result = resourcesFromTemplate(read.value, {
      label,
      ...(parameters?.ok ? { parameters: parameters.value } : {}),
    });
    documents.push({ source: file, json: result.resources });
    errors.push(...unresolvedErrors(result));
    if (result.unresolved.length > 0) partialTemplates.add(file);
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return { documents, errors, contents, partialTemplates };
}

async function readSubscriptions(ids: readonly string[], reader: ArmReader | undefined): Promise<EstateDocument[]> {
  if (ids.length === 0) return [];
  // The Azure SDK loads only when a live read is asked for.
  const { readInventory } = await import('../azure/arm.js');
  const documents: EstateDocument[] = [];
  for (const id of ids) {
    let inventory;
    try {
      inventory = await readInventory(id, reader ? { reader } : {});
    } catch (error) {
      throw new UsageError(`cannot read subscription ${id}: ${errorMessage(error)}`);
    }
    // A partial read could make present resources look absent (an NSG "associated with nothing"): stop.
    if (inventory.failures.length > 0) {
      const reasons = inventory.failures.map((f) => `${f.target}: ${f.message}`).join('; ');
      throw new UsageError(`subscription ${id} could not be read completely (${reasons})`);
    }
    documents.push({ source: `subscription ${id}`, json: inventory.resources });
  }
  return documents;
}

async function readServiceTagFile(path: string | undefined, cwd: string): Promise<ServiceTagData | undefined> {
  if (path === undefined) return undefined;
  const read = await readJsonFile(path, cwd);
  if (!read.ok) throw new UsageError(read.problem.message);
  const tags = parseServiceTags(read.value);
  if (!tags.ok) throw new UsageError(`${path}: ${tags.error}`);
  return tags.data;
}

async function readPolicies(paths: readonly string[], cwd: string): Promise<FlowPolicy[]> {
  const policies: FlowPolicy[] = [];
  const taken = new Set(RULES.map((r) => r.meta.id));
  const problems: string[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(resolve(cwd, path), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : String(error)}`);
      continue;
    }
    const parsed = parsePolicies(text, path, { reservedIds: taken });
    if (!parsed.ok) {
      problems.push(...parsed.errors.map(formatPolicyError));
      continue;
    }
    for (const policy of parsed.policies) taken.add(policy.id);
    policies.push(...parsed.policies);
  }
  if (problems.length > 0) throw new UsageError(`invalid policy:\n${problems.join('\n')}`);
  return policies;
}

/**
 * The estate of every input. The parsed documents stay local to this function: once the estate
 * is built they can be collected, which halves the peak memory of a large scan.
 */
async function readEstate(
  args: Pick<ScanArgs, 'files' | 'subscriptions' | 'format'>,
  cwd: string,
  progress: (message: string) => void,
  armReader: ArmReader | undefined,
): Promise<{ estate: Estate; inputErrors: ResourceError[]; contents: Map<string, string> }> {
  const inputs = await readInputs(args.files, cwd, args.format === 'sarif');
  const documents = [...inputs.documents, ...(await readSubscriptions(args.subscriptions, armReader))];
  progress(`read ${documents.length} input(s)`);
  const estate = loadEstate(documents);
  const empty = estate.sources.filter((s) => s.resources === 0 && s.emptyLists === 0 && args.files.includes(s.source) && !inputs.partialTemplates.has(s.source));
  if (empty.length > 0) {
    throw new UsageError(empty.map((s) => `${s.source} holds no Azure resources (no object with an ARM 'type' or resource 'id')`).join('\n'));
  }
  return { estate, inputErrors: inputs.errors, contents: inputs.contents };
}

/**
 * Writes the report's chunks as they are produced; when the output is a pipe whose reader lags
 * (the write returns false), waits for it to drain, so the report never queues up in memory.
 */
async function writeChunks(out: CliIo['stdout'], chunks: Iterable<string>): Promise<void> {
  const stream = out as { once?: (event: 'drain', listener: () => void) => unknown };
  for (const chunk of chunks) {
    if (out.write(chunk) === false && typeof stream.once === 'function') await new Promise<void>((resolveDrain) => stream.once?.('drain', resolveDrain));
  }
}

/** Progress lines on stderr, only once the scan has taken more than a moment. */
function progressReporter(io: CliIo, forced: boolean): (message: string) => void {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  if (!forced && !tty) return () => undefined;
  const started = Date.now();
  return (message) => {
    if (forced || Date.now() - started > 1000) io.stderr.write(`nsgwatch scan: ${message}\n`);
  };
}

/** What the evaluation reads: the users' policies, the service tags and the estate of every input. */
export async function readScanInputs(
  args: Pick<ScanArgs, 'files' | 'subscriptions' | 'format' | 'policies' | 'serviceTags'>,
  cwd: string,
  progress: (message: string) => void,
  armReader: ArmReader | undefined,
): Promise<{ policies: FlowPolicy[]; serviceTags: ServiceTagData | undefined; estate: Estate; inputErrors: ResourceError[]; contents: Map<string, string> }> {
  const policies = await readPolicies(args.policies, cwd);
  const serviceTags = await readServiceTagFile(args.serviceTags, cwd);
  return { policies, serviceTags, ...(await readEstate(args, cwd, progress, armReader)) };
}

/**
 * The rules over the estate: this thread runs its share while the workers run theirs (DESIGN §5:
 * the report is the same on any number of threads); a rule a worker did not answer for runs here.
 */
async function evaluateShares(
  estate: Estate,
  options: { serviceTags: ServiceTagData | undefined; settings: Partial<RuleSettings>; policies: FlowPolicy[] },
  share: readonly number[],
  workers: readonly StartedWorker[],
  progress: (message: string) => void,
  heap: HeapKeeper,
): Promise<EvaluateOutput> {
  const evaluation = prepareEvaluation(estate, { ...(options.serviceTags ? { serviceTags: options.serviceTags } : {}), settings: options.settings, policies: options.policies });
  const total = evaluation.rules.length;
  const runs = new Map<number, RuleRun>();
  const answered = workers.map((worker) =>
    worker.answer.then((reply) => {
      if (!reply.ok) return progress(`a worker thread failed (${reply.error}): its rules run on this thread`);
      for (const { index, run } of reply.runs) if (evaluation.rules[index]?.meta.id === run.ruleId) runs.set(index, run);
      progress(`a worker thread ran ${reply.runs.map((a) => a.run.ruleId).join(', ')}`);
    }),
  );
  for (const index of share) {
    progress(`rule ${index + 1}/${total}: ${evaluation.rules[index]?.meta.id ?? ''}`);
    heap.step();
    runs.set(index, evaluation.run(index));
  }
  await Promise.all(answered);
  const ordered: RuleRun[] = [];
  for (let index = 0; index < total; index += 1) {
    let run = runs.get(index);
    if (!run) {
      progress(`rule ${index + 1}/${total}: ${evaluation.rules[index]?.meta.id ?? ''}`);
      run = evaluation.run(index);
    }
    ordered.push(run);
  }
  return evaluation.finish(ordered);
}

/** The size of the input files together (0 for one that cannot be read: reading it says why). */
async function inputBytes(files: readonly string[], cwd: string): Promise<number> {
  let bytes = 0;
  for (const file of files) bytes += await stat(resolve(cwd, file)).then((s) => s.size, () => 0);
  return bytes;
}

export async function scanCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseScanArgs(argv);
  if (args.help) {
    io.stdout.write(SCAN_HELP);
    return EXIT.ok;
  }
  if (args.files.length === 0 && args.subscriptions.length === 0) {
    throw new UsageError('give estate files to read or --subscription (see nsgwatch scan --help)');
  }
  const progress = progressReporter(io, args.progress);
  const policies = await readPolicies(args.policies, io.cwd);
  const serviceTags = await readServiceTagFile(args.serviceTags, io.cwd);
  // Workers read the same files from the start, beside this thread (a live read is not repeated).
  const threads = args.subscriptions.length > 0 ? 1 : threadCount(args.threads, await inputBytes(args.files, io.cwd));
  const shares = dealRules([...RULES, ...policies.map(ruleFromPolicy)], threads);
  const job = { files: args.files, cwd: io.cwd, serviceTags: args.serviceTags, policies: args.policies, settings: args.settings };
  const workers = shares.slice(1).map((rules) => startWorker({ ...job, rules }));
  if (workers.length > 0) progress(`evaluating on ${shares.length} threads`);
  try {
    return await scanWith(args, io, progress, { policies, serviceTags, share: shares[0] ?? [], workers });
  } finally {
    for (const worker of workers) worker.stop();
  }
}

async function scanWith(
  args: ScanArgs,
  io: CliIo,
  progress: (message: string) => void,
  prepared: { policies: FlowPolicy[]; serviceTags: ServiceTagData | undefined; share: readonly number[]; workers: readonly StartedWorker[] },
): Promise<number> {
  const { policies, serviceTags } = prepared;
  const { estate, inputErrors, contents } = await readEstate(args, io.cwd, progress, io.armReader);
  progress(`evaluating ${estate.networkSecurityGroups.size} NSGs, ${estate.subnets.size} subnets, ${estate.networkInterfaces.size} NICs`);
  const heap = createHeapKeeper();
  const result = await evaluateShares(estate, { serviceTags, settings: args.settings, policies }, prepared.share, prepared.workers, progress, heap);
  // The view and its memos are garbage now: the report is written into the room they leave.
  heap.collect();
  const report: ScanReport = {
    findings: result.findings,
    errors: [...inputErrors, ...estate.errors, ...result.errors],
    judged: result.judged,
    unjudged: result.unjudged,
    allowUnjudged: args.allowUnjudged,
    estate,
    rules: [...RULES, ...policies.map(ruleFromPolicy)].map((r) => r.meta),
    failOn: args.failOn,
    files: args.files,
    cwd: io.cwd,
  };
  switch (args.format) {
    case 'table': {
      const columns = (io.stdout as { columns?: number }).columns;
      await writeChunks(io.stdout, tableChunks(report, columns ? { width: columns } : {}));
      break;
    }
    case 'json':
      await writeChunks(io.stdout, jsonChunks(report));
      break;
    case 'sarif':
      await writeChunks(io.stdout, sarifChunks(report, { contents }));
      break;
    default: {
      const unreachable: never = args.format;
      throw new UsageError(`unknown format ${String(unreachable)}`);
    }
  }
  if (process.env['NSGWATCH_REPORT_RSS']) io.stderr.write(`nsgwatch maxRSS: ${process.resourceUsage().maxRSS} KiB\n`);
  // A gate never passes on what it could not judge (DESIGN §5).
  if (incomplete(report)) return EXIT.notJudged;
  return failing(report) ? EXIT.findings : EXIT.ok;
}
