/**
 * The built command as a user runs it: `node bin/nsgwatch.js ...` in a child process, with
 * dist/ rebuilt first when a source it runs on is newer (`npm test` builds anyway).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = process.cwd();

function newestSource(path: string): number {
  return readdirSync(path, { withFileTypes: true }).reduce((newest, entry) => {
    const full = join(path, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }, 0);
}

/** Rebuilds dist/ unless `built` (relative to the root) is newer than every file under `sources`. */
export async function ensureBuilt(built: string, sources: readonly string[]): Promise<void> {
  const target = resolve(ROOT, built);
  const newest = Math.max(...sources.map((d) => newestSource(resolve(ROOT, d))));
  if (existsSync(target) && statSync(target).mtimeMs >= newest) return;
  await run(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(
    (error: unknown) => {
      // tsc emits even with type errors elsewhere in the tree; the assertions decide.
      if (!existsSync(target)) throw error;
    },
  );
}

/** Runs `node bin/nsgwatch.js ...args` from the project root; a non-zero exit is returned, not thrown. */
export async function nsgwatch(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/nsgwatch.js', ...args], { cwd: ROOT, maxBuffer: 64 * 2 ** 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
