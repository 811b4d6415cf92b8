import type { CliIo } from './io.js';

export async function devCommand(_argv: string[], io: CliIo): Promise<number> {
  io.stdout.write('nsgwatch dev: the embedded local deployment is coming soon.\n');
  return 0;
}
