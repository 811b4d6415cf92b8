/** A CliIo that keeps what a command writes, for tests that run commands in-process. */
import type { CliIo } from '../../lib/cli/io.js';

export interface CapturedIo extends CliIo {
  out(): string;
  err(): string;
}

export function capture(options: { cwd?: string; signal?: AbortSignal } = {}): CapturedIo {
  let out = '';
  let err = '';
  return {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk) },
    cwd: options.cwd ?? process.cwd(),
    ...(options.signal ? { signal: options.signal } : {}),
    out: () => out,
    err: () => err,
  };
}
