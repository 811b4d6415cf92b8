/**
 * `nsgwatch dev` (what `npm start` runs): the embedded local deployment of DESIGN §8 — Azurite,
 * the sample estate (or your own folder of JSON files), a full sweep, the scripted changes as
 * Event Grid events, then the API and the dashboard on http://127.0.0.1:7071 until stopped.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, UsageError, type CliIo } from './io.js';
import { packageRoot } from '../dashboard/assets.js';
import { copyEstate } from '../dev/estate-files.js';
import { startDevRuntime, type DevRuntime } from '../dev/runtime.js';
import { runScript } from '../dev/demo.js';
import { DEMO_SCRIPT } from '../dev/script.js';
import { evaluateRules, ruleInfos } from '../runtime/catalogue.js';
import { errorMessage } from '../nsg/index.js';

export const DEV_HELP = `usage: nsgwatch dev [--estate DIR] [--script] [--data DIR] [--port P] [--once] [--json]

Runs nsgwatch locally with no Azure account: an embedded Table Storage and queue (Azurite), an
estate of JSON files as the live source, a full sweep, then a scripted series of resource
changes replayed as Event Grid events; then serves the API and the dashboard until Ctrl-C.

options:
  --estate DIR   use this folder of JSON files (any shape \`nsgwatch scan\` reads) as the live
                 estate; every evaluation re-reads it, so edit a file and send an event to see
                 the change. Without it, a copy of the shipped sample estate is used.
  --script       replay the scripted changes on --estate too (they expect the sample estate)
  --data DIR     keep the findings, history and suppressions under DIR (default: in memory)
  --port P       listen on 127.0.0.1:P (default 7071; with --once, a free port)
  --once         sweep and replay the script, then exit 0 with nothing left running
  --json         print a JSON summary as the last line
  -h, --help     show this help

Events: POST /runtime/webhooks/eventgrid?functionName=onResourceChange (Event Grid schema or
CloudEvents), as Event Grid delivers them.
`;

const DEFAULT_PORT = 7071;

interface DevArgs {
  estate?: string;
  script: boolean;
  data?: string;
  port?: number;
  once: boolean;
  json: boolean;
  help: boolean;
}

export function parseDevArgs(argv: string[]): DevArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        estate: { type: 'string' },
        script: { type: 'boolean', default: false },
        data: { type: 'string' },
        port: { type: 'string' },
        once: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  const v = parsed.values;
  const args: DevArgs = { script: v.script, once: v.once, json: v.json, help: v.help };
  if (v.estate !== undefined) args.estate = v.estate;
  if (v.data !== undefined) args.data = v.data;
  if (v.port !== undefined) {
    if (!/^\d{1,5}$/.test(v.port) || Number(v.port) < 1 || Number(v.port) > 65535) throw new UsageError(`--port must be a port number from 1 to 65535, got '${v.port}'`);
    args.port = Number(v.port);
  }
  if (v.script && v.estate === undefined) throw new UsageError('--script replays on --estate DIR; without --estate the script always runs');
  return args;
}

export async function devCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseDevArgs(argv);
  if (args.help) {
    io.stdout.write(DEV_HELP);
    return EXIT.ok;
  }
  const print = (line: string): void => void io.stdout.write(`${line}\n`);
  const started = Date.now();

  let estateDir: string;
  let scratch: string | undefined;
  if (args.estate !== undefined) {
    estateDir = resolve(io.cwd, args.estate);
    const info = await stat(estateDir).catch(() => undefined);
    if (!info?.isDirectory()) throw new UsageError(`--estate ${args.estate} is not a folder`);
  } else {
    // The script edits the estate: work on a copy so the shipped files never change.
    const base = args.data !== undefined ? resolve(io.cwd, args.data) : (scratch = await mkdtemp(join(tmpdir(), 'nsgwatch-dev-')));
    estateDir = join(base, 'estate');
    await copyEstate(join(packageRoot(), 'samples', 'estate'), estateDir);
  }

  let runtime: DevRuntime | undefined;
  try {
    print('nsgwatch dev: the local deployment');
    print(`  estate   ${estateDir}${args.estate === undefined ? ' (a working copy of samples/estate)' : ''}`);
    print(`  storage  Azurite on loopback, ${args.data !== undefined ? `data kept in ${resolve(io.cwd, args.data)}` : 'in memory'}`);
    try {
      runtime = await startDevRuntime({
        estateDir,
        ...(args.data !== undefined ? { dataDir: join(resolve(io.cwd, args.data), 'azurite') } : {}),
        port: args.port ?? (args.once ? 0 : DEFAULT_PORT),
        evaluate: evaluateRules,
        rules: ruleInfos,
        print,
        env: process.env,
      });
    } catch (error) {
      if (isAddressInUse(error)) throw new UsageError(`port ${args.port ?? DEFAULT_PORT} is in use; pick another with --port`);
      throw error;
    }
    print(`  server   ${runtime.url} (API under /api, Event Grid webhook under /runtime/webhooks/eventgrid)`);
    print('');
    print('full sweep');
    const outcomes = await runtime.sweep();
    for (const outcome of outcomes) {
      const failure = outcome.failure !== undefined ? `: ${outcome.failure}` : '';
      print(`          subscription ${outcome.scope.subscriptionId}: ${outcome.status}, ${outcome.judged} resources judged, ${outcome.findings} findings, ${outcome.durationMs} ms${failure}`);
    }
    if (args.estate === undefined || args.script) {
      await runScript(DEMO_SCRIPT, { url: runtime.url, estateDir, waitForIdle: (ms) => (runtime as DevRuntime).waitForIdle(ms), print });
    }
    print('');
    const stats = runtime.stats;
    print(`done: ${stats.evaluations} evaluations, ${stats.events} events, ${stats.findingsOpened} findings opened, ${stats.findingsResolved} resolved, ${stats.alerts} alerts`);
    if (!args.once) {
      print('');
      print(`Dashboard: ${runtime.url}/`);
      print(`Try: curl -s '${runtime.url}/api/findings?status=open'`);
      print('Edit a file in the estate folder and POST an event to see it change. Ctrl-C stops.');
      await stopRequested(io.signal);
      print('stopping…');
    }
    if (args.json) {
      io.stdout.write(`${JSON.stringify({ ...stats, url: runtime.url, estate: estateDir, durationMs: Date.now() - started })}\n`);
    }
    return EXIT.ok;
  } finally {
    await runtime?.stop();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

/** Ctrl-C, SIGTERM, or the caller's signal (tests). */
function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolveStop) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      signal?.removeEventListener('abort', done);
      resolveStop();
    };
    if (signal?.aborted) {
      done();
      return;
    }
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function isAddressInUse(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EADDRINUSE';
}
