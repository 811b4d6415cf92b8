/**
 * The real Bicep compiler and linter over infra/: every entry file builds with no diagnostic and
 * lints clean under infra/bicepconfig.json. The CLI is not part of a newcomer's machine: `.ci/run`
 * restores it from NuGet into .tools/; without it this test skips and says so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** What azd and the postdeploy hook deploy; every module is compiled through one of them. */
const ENTRY_FILES = ['infra/main.bicep', 'infra/events.bicep'];

function findBicep(): string | undefined {
  const candidates = [
    ...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, 'bicep')),
    join(ROOT, '.tools', 'bin', 'bicep'),
  ];
  return candidates.find((file) => existsSync(file) && spawnSync(file, ['--version'], { encoding: 'utf8' }).status === 0);
}

const bicep = findBicep();
const SKIP_REASON = 'no Bicep CLI on PATH or in .tools/bin (bash .ci/run restores Azure.Bicep.CommandLine.linux-x64 from NuGet)';

// Skipped only where the Bicep CLI is absent (a newcomer's machine), and it says so; CI installs the
// CLI, so CI always runs this.
if (bicep === undefined) console.warn(`test/infra/compile.test.ts skipped: ${SKIP_REASON}`);

describe.skipIf(bicep === undefined)(`infra/ compiled and linted by the Bicep CLI${bicep === undefined ? ` (skipped: ${SKIP_REASON})` : ''}`, () => {
  const cli = bicep ?? 'bicep';

  it('is the CLI version .ci/run restores', () => {
    expect(execFileSync(cli, ['--version'], { encoding: 'utf8' })).toMatch(/Bicep CLI version \d+\.\d+\.\d+/);
  });

  it.each(ENTRY_FILES)('%s builds with no warning and lints with no finding', (file) => {
    const build = spawnSync(cli, ['build', file, '--stdout'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(build.stderr.trim(), `bicep build ${file}`).toBe('');
    expect(build.status).toBe(0);
    const template = JSON.parse(build.stdout) as { $schema?: string; resources?: unknown };
    expect(template.$schema).toMatch(/[dD]eploymentTemplate\.json#$/);
    const lint = spawnSync(cli, ['lint', file], { cwd: ROOT, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`.trim(), `bicep lint ${file}`).toBe('');
    expect(lint.status).toBe(0);
  }, 120_000);
});
