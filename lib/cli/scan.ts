import { UsageError, type CliIo } from './io.js';

export async function scanCommand(_argv: string[], _io: CliIo): Promise<number> {
  throw new UsageError('not available yet in this version');
}
