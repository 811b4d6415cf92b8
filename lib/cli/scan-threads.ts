/**
 * The scan on several cores: the rules are dealt over threads (this one and `threads - 1`
 * workers, node:worker_threads), each thread reading the same inputs and building its own view of
 * the estate once, then running its share of the rules. The runs come back in the rules' order and
 * the evaluation finishes here exactly as on one thread, so the report is byte for byte the same.
 *
 * The rules are dealt in units: rules that share the view's memoised region analyses (the
 * Internet-exposure policies answer the same regions) stay on one thread, so no analysis is
 * computed twice more than needed; units go to the least loaded thread, heaviest first, by their
 * cost measured on the bench estate (bench/scan.bench.ts). This thread, which also finishes the
 * evaluation and writes the report, takes the heaviest unit; the workers, which read the inputs
 * again before their first rule, take the rest.
 */
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Rule, RuleRun } from '../rules/index.js';
import type { RuleSettings } from '../verdicts/view.js';
import { errorMessage } from '../nsg/index.js';

/** What a worker needs to build the same evaluation as this thread and run its share. */
export interface ThreadJob {
  files: string[];
  cwd: string;
  serviceTags: string | undefined;
  policies: string[];
  settings: Partial<RuleSettings>;
  /** Indices, in the evaluation's rule list, of the rules this worker runs. */
  rules: number[];
}

export type ThreadReply = { ok: true; runs: { index: number; run: RuleRun }[] } | { ok: false; error: string };

/** Rules that share region analyses, run together. */
const SHARED_UNITS: readonly (readonly string[])[] = [['NSG-001', 'NSG-002', 'NSG-003', 'NSG-004', 'NSG-005', 'NSG-006', 'NSG-007']];

/**
 * Milliseconds per rule on the bench estate (2,000 NSGs, 10,000 NICs), measured with the rules in
 * the catalogue's order on one view; a user's policy costs about what a built-in policy does.
 */
const COST: Readonly<Record<string, number>> = {
  'NSG-001': 2300,
  'NSG-002': 280,
  'NSG-003': 1000,
  'NSG-004': 730,
  'NSG-005': 800,
  'NSG-006': 120,
  'NSG-007': 430,
  'NSG-010': 6,
  'NSG-011': 90,
  'NSG-012': 20,
  'NSG-013': 1050,
  'NSG-014': 1600,
  'NAT-001': 3,
  'NAT-002': 100,
  'BAS-001': 110,
  'BAS-002': 100,
  'BAS-003': 440,
};
const POLICY_COST = 800;
const SMALL_COST = 10;

/**
 * Below this many bytes of input, one thread is faster: a worker's start and its own read of the
 * inputs cost more than its share of the rules saves (bench/scan.bench.ts estates scaled down).
 * The size is known before anything is read, so workers start at once and read beside this thread.
 */
export const THREADS_FROM_BYTES = 8 * 2 ** 20;

/** Cores nothing else is using now: the machine's, less the load average of the last minute. */
export function idleCores(): number {
  return availableParallelism() - (loadavg()[0] ?? 0);
}

/**
 * Idle cores a second thread needs: one for each thread, and one for V8's collector, which on one
 * thread already keeps a second core about two-fifths busy (marking and scavenging beside the
 * scan). On two idle cores of the bench machine (bench/scan.bench.ts, 2 vCPU, 2026-12-07) two
 * threads took as long as one, 8.2–8.6 s against 8.1–9.0 s, at half as much memory again
 * (731–735 MiB against 482–491 MiB): the worker's own read of the inputs and its attachment
 * points, and the collector's helpers, fill the second core.
 */
export const IDLE_CORES_FOR_TWO = 3;

/**
 * The threads to use: `requested` (from --threads or NSGWATCH_SCAN_THREADS), else two for a large
 * input when IDLE_CORES_FOR_TWO cores are idle. A worker repeats the read of the inputs and the
 * attachment points, so on a machine without room for it, it only adds to the work.
 */
export function threadCount(requested: number | undefined, inputBytes: number, idle: number = idleCores()): number {
  if (requested !== undefined) return requested;
  return inputBytes >= THREADS_FROM_BYTES && idle >= IDLE_CORES_FOR_TWO ? 2 : 1;
}

/** --threads / NSGWATCH_SCAN_THREADS: a whole number from 1 to 64, or `auto`. */
export function parseThreads(text: string | undefined, from: string): number | undefined | Error {
  if (text === undefined || text.trim() === '' || text.trim().toLowerCase() === 'auto') return undefined;
  const value = Number(text.trim());
  if (!Number.isInteger(value) || value < 1 || value > 64) return new Error(`${from} ${text}: expected a whole number of threads from 1 to 64, or auto`);
  return value;
}

/** The rules' indices per thread; thread 0 is this one. Every thread gets at least one unit when there are enough. */
export function dealRules(rules: readonly Rule[], threads: number): number[][] {
  const units: { indices: number[]; cost: number }[] = [];
  const unitOf = new Map<string, { indices: number[]; cost: number }>();
  for (const [index, rule] of rules.entries()) {
    const id = rule.meta.id;
    const cost = COST[id] ?? (rule.meta.category === 'policy' ? POLICY_COST : SMALL_COST);
    const shared = SHARED_UNITS.find((u) => u.includes(id));
    const key = shared ? shared.join() : `#${index}`;
    let unit = unitOf.get(key);
    if (!unit) {
      unit = { indices: [], cost: 0 };
      unitOf.set(key, unit);
      units.push(unit);
    }
    unit.indices.push(index);
    unit.cost += cost;
  }
  // Heaviest first (ties: catalogue order), each to the least loaded thread (ties: the lowest).
  const order = units.map((u, i) => ({ u, i })).sort((a, b) => b.u.cost - a.u.cost || a.i - b.i);
  const load = Array.from({ length: threads }, () => 0);
  const dealt: number[][] = Array.from({ length: threads }, () => []);
  for (const { u } of order) {
    let best = 0;
    for (let t = 1; t < threads; t += 1) if ((load[t] ?? 0) < (load[best] ?? 0)) best = t;
    load[best] = (load[best] ?? 0) + u.cost;
    dealt[best]?.push(...u.indices);
  }
  return dealt.map((indices) => indices.sort((a, b) => a - b)).filter((indices, t) => t === 0 || indices.length > 0);
}

/** Where the worker's code is: beside this module, built (.js) or, under the test runner, the TypeScript source through tsx. */
function workerEntry(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { url: new URL('./scan-worker.ts', here), execArgv: ['--import', 'tsx'] };
  return { url: new URL('./scan-worker.js', here), execArgv: [] };
}

/** A worker started on a job: its answer (never a rejection), and a way to stop it early. */
export interface StartedWorker {
  answer: Promise<ThreadReply>;
  stop(): void;
}

/** Starts one worker on `job`: it reads the inputs beside this thread from the start. */
export function startWorker(job: ThreadJob): StartedWorker {
  const { url, execArgv } = workerEntry();
  const worker = new Worker(url, { workerData: job, execArgv, stdout: false, stderr: false });
  const answer = new Promise<ThreadReply>((resolvePromise) => {
    worker.once('message', (reply: ThreadReply) => {
      resolvePromise(reply);
      void worker.terminate();
    });
    worker.once('error', (error) => resolvePromise({ ok: false, error: errorMessage(error) }));
    worker.once('exit', (code) => resolvePromise({ ok: false, error: `the worker thread stopped (exit code ${code}) before it answered` }));
  });
  return { answer, stop: () => void worker.terminate() };
}
