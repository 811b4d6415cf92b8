/**
 * SARIF output checked against the official SARIF 2.1.0 JSON schema (OASIS, errata 01), as code
 * scanning services read it: the schema in ../shared/corpus/sarif/, a draft-04 JSON schema, read
 * by Ajv's draft-04 build with the standard formats.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { vm } from '../rules/fixtures/build.js';
import { capture } from '../support/cli-io.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SCHEMA = JSON.parse(readFileSync(resolve(ROOT, '..', 'shared', 'corpus', 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as object;
const SAMPLES = ['gateways-and-groups', 'network-interfaces', 'network-security-groups', 'virtual-networks'].map((f) => `samples/estate/${f}.json`);

// Both packages are CommonJS: under Node's ESM interop their classes sit on `default`.
const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
ajvFormats.default(ajv);
const validate = ajv.compile(SCHEMA);

async function sarifOf(argv: string[]): Promise<unknown> {
  const io = capture({ cwd: ROOT });
  await main(['scan', ...argv, '--format', 'sarif'], io);
  return JSON.parse(io.out()) as unknown;
}

function problems(): string[] {
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

describe('SARIF against the official 2.1.0 schema', () => {
  it('the sample estate: rules, results, locations, fingerprints', async () => {
    const sarif = await sarifOf(SAMPLES);
    expect(validate(sarif), problems().join('\n')).toBe(true);
  });

  it('a scan with input errors and points not judged: the invocation and its notifications', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsgwatch-sarif-'));
    const file = join(dir, 'unjudged.json');
    writeFileSync(
      file,
      JSON.stringify(
        vm({
          subnetNsg: [{ name: 'ssh', priority: 100, source: '*', ports: '22' }],
          nicNsg: [{ name: 'too-low', priority: 50, source: '*', ports: '443' }],
        }),
      ),
    );
    const sarif = await sarifOf([file]);
    expect(validate(sarif), problems().join('\n')).toBe(true);
  });

  it('the validator is not vacuous: a result without a message is refused', async () => {
    const sarif = (await sarifOf(SAMPLES)) as { runs: { results: { message?: unknown }[] }[] };
    const broken = structuredClone(sarif);
    const first = broken.runs[0]?.results[0];
    expect(first).toBeDefined();
    if (first) delete first.message;
    expect(validate(broken)).toBe(false);
  });
});
