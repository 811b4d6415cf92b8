#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// `nsgwatch scan` holds a whole estate while its rules turn over much short-lived data: V8 lets
// the young generation grow to 64 MiB per semi-space, most of it garbage at any moment. 16 MiB
// keeps a large scan's peak memory about a quarter lower for about a tenth more CPU (bench/). The
// old generation, too, grows to about twice what is live before V8 collects it: with `gc` exposed,
// the scan collects between two rules once the heap has grown by half (lib/cli/heap.ts). Both are
// fixed when Node.js starts, so the scan runs in a child Node.js started with them, unless the
// semi-space size was given already or a debugger is attached (the child would want its port).
const SCAN_FLAGS = ['--max-semi-space-size=16', '--expose-gc'];
const args = process.argv.slice(2);
if (args[0] === 'scan' && !process.execArgv.some((a) => a.startsWith('--max-semi-space-size') || a.startsWith('--inspect'))) {
  const child = spawnSync(process.execPath, [...process.execArgv, ...SCAN_FLAGS, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  if (child.error) throw child.error;
  if (child.signal) process.kill(process.pid, child.signal);
  process.exitCode = child.status ?? 1;
} else {
  const { main } = await import('../dist/lib/cli/main.js');
  process.exitCode = await main(args, {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
  });
}
