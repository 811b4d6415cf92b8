/**
 * `npm run bench`: runs every `bench/*.bench.ts` module (or those named on the command line) and
 * prints one line per measurement, then the machine it ran on. Figures go in the README. With
 * several modules, each runs in a process of its own, so no module's heap or warm-up shows in
 * another's figures (peak RSS above all).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Measurement {
  name: string;
  value: number;
  unit: string;
  /** The target the figure is held to, e.g. '≤ 50 ms'. */
  target?: string;
  ok?: boolean;
}

export interface BenchModule {
  run(): Promise<Measurement[]>;
}

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

const CHILD = 'NSGWATCH_BENCH_CHILD';
let failed = false;
if (files.length > 1) {
  for (const file of files) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), file], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, [CHILD]: '1' },
    });
    if (child.status !== 0) failed = true;
  }
} else {
  failed = await runHere(files);
}
if (process.env[CHILD] === undefined) {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `\nmachine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`,
  );
}
process.exitCode = failed ? 1 : 0;

/** Runs the modules in this process; true when a figure missed its target. */
async function runHere(modules: readonly string[]): Promise<boolean> {
  let over = false;
  for (const file of modules) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
    process.stdout.write(`\n# ${basename(file, '.bench.ts')}\n`);
    for (const m of await mod.run()) {
      const verdict = m.ok === undefined ? '' : m.ok ? '  ok' : '  OVER TARGET';
      const target = m.target ? `  (target ${m.target})` : '';
      process.stdout.write(`${m.name.padEnd(60)} ${formatValue(m.value).padStart(10)} ${m.unit}${target}${verdict}\n`);
      if (m.ok === false) over = true;
    }
  }
  return over;
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1);
}
