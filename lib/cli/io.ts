import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ArmReader } from '../azure/arm.js';
import { errorMessage } from '../nsg/index.js';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  cwd: string;
  /** Called once when the command is ready to be stopped (dev server); tests use it. */
  signal?: AbortSignal;
  /** How live reads reach ARM (default: the process's reader on DefaultAzureCredential); tests pass a test transport's. */
  armReader?: ArmReader;
}

/** Exit codes of DESIGN §5. */
export const EXIT = { ok: 0, findings: 1, usage: 2, notJudged: 2 } as const;

/** A usage or input error that stops a command with exit code 2 and a one-line reason. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses a command's arguments strictly (unknown options are errors), positionals allowed; a
 * parse error is a UsageError that points at the command's help.
 */
export function parseCommandArgs<const T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new UsageError(`${errorMessage(error)} (see nsgwatch ${command} --help)`);
  }
}
