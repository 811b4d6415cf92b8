import { EXIT, UsageError, type CliIo } from './io.js';

type Command = (argv: string[], io: CliIo) => Promise<number>;

/** Commands load lazily so `nsgwatch flow` never pays for the dev server's dependencies. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  scan: {
    summary: 'evaluate exported estate files (or a live subscription) against the rule catalogue',
    load: async () => (await import('./scan.js')).scanCommand,
  },
  flow: {
    summary: 'decide flows the way Azure does (offline IP flow verify)',
    load: async () => (await import('./flow.js')).flowCommand,
  },
  dev: {
    summary: 'run the embedded local deployment with a sample estate and the dashboard',
    load: async () => (await import('./dev.js')).devCommand,
  },
};

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(6)} ${c.summary}`);
  return [
    'usage: nsgwatch <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'Run `nsgwatch <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`nsgwatch: unknown command '${name}'\n\n${usage()}`);
    return EXIT.usage;
  }
  try {
    return await (await command.load())(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`nsgwatch ${name}: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}
