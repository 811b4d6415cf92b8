import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEstateFiles, loadTemplateFile, readJsonFile } from '../../lib/local/files.js';
import { parseJsonc, stripComments } from '../../lib/estate/jsonc.js';
import { loadEstate } from '../../lib/estate/load.js';
import { ruleSetDocument } from '../../lib/estate/rule-set.js';
import { CORPUS, REST_EXAMPLES } from '../estate/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'nsgwatch-estate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('parseJsonc', () => {
  it.each([
    ['{"a": 1}', { a: 1 }],
    ['{\n  // a comment\n  "a": 1\n}', { a: 1 }],
    ['{"a": [1, 2, /* two */ 3]}', { a: [1, 2, 3] }],
    ['{"url": "https://example.com/x"}', { url: 'https://example.com/x' }],
    ['{"text": "not // a comment", "b": "\\"/*\\""}', { text: 'not // a comment', b: '"/*"' }],
    ['{"a": [1, 2,], "b": 3,}', { a: [1, 2], b: 3 }],
    ['[\n  {"x": 1}\n  // trailing comment\n]', [{ x: 1 }]],
    ['\uFEFF{"bom": true}', { bom: true }],
  ])('%j', (text, value) => {
    expect(parseJsonc(text)).toEqual({ ok: true, value });
  });

  it('keeps positions when blanking comments', () => {
    const text = '{ "a": 1, // x\n "b": 2 }';
    expect(stripComments(text)).toHaveLength(text.length);
  });

  it('names the line and column of a syntax error', () => {
    expect(parseJsonc('{\n  "a": 1\n  "b": 2\n}')).toEqual({ ok: false, error: expect.stringMatching(/at line 3, column 3$/) });
  });
});

describe('loadEstateFiles', () => {
  it('loads files of different shapes into one estate', async () => {
    const rest = resolve(REST_EXAMPLES, 'NetworkSecurityGroupGet.json');
    const list = write('nsgs.json', JSON.stringify({ value: [{ id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/x', type: 'Microsoft.Network/networkSecurityGroups', properties: {} }] }));
    const cli = write('cli.jsonc', '// az network nsg list -o json\n[{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/y", "type": "Microsoft.Network/networkSecurityGroups", "securityRules": []}]');
    const result = await loadEstateFiles([rest, list, cli]);
    // The example file is the whole example (parameters and responses): its response body is found inside.
    // The estate is ordered by id (subscription 's' before 'subid'), not by file.
    expect(result.ok && [...result.estate.networkSecurityGroups.values()].map((n) => n.name)).toEqual(['x', 'y', 'testnsg']);
  });

  it('resolves relative paths against the given working directory', async () => {
    write('one.json', JSON.stringify([{ id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/applicationSecurityGroups/a', type: 'Microsoft.Network/applicationSecurityGroups' }]));
    const result = await loadEstateFiles(['one.json'], dir);
    expect(result.ok && result.estate.applicationSecurityGroups.size).toBe(1);
  });

  it.each([
    ['missing.json', undefined, 'cannot read missing.json: no such file'],
    ['bad.json', '{"value": [}', 'bad.json is not valid JSON: Unexpected token'],
    ['empty.json', '{"note": "no resources here"}', 'empty.json holds no Azure resources'],
    ['untyped.json', '[{"name": "a", "protocol": "Tcp"}]', 'untyped.json holds no Azure resources'],
  ])('stops on %s, naming the file', async (name, text, message) => {
    if (text !== undefined) write(name, text);
    const good = write('good.json', JSON.stringify({ id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/natGateways/n', type: 'Microsoft.Network/natGateways' }));
    const result = await loadEstateFiles([good, name], dir);
    expect(result).toEqual({ ok: false, problems: [{ file: name, message: expect.stringContaining(message) }] });
  });

  it.each(['{"value": []}', '[]'])('reads %s (an empty resource group\'s list) as empty, not as a problem', async (text) => {
    const empty = write('empty-list.json', text);
    const good = write('good.json', JSON.stringify({ id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/natGateways/n', type: 'Microsoft.Network/natGateways' }));
    const result = await loadEstateFiles([good, empty], dir);
    expect(result.ok).toBe(true);
  });

  it('rejects the bicep docs rule-set companions: they hold rules, not resources', async () => {
    const shared = resolve(CORPUS, 'templates/bicep-docs-samples/samples/patterns-shared-variable-file/shared-rules.json');
    // The file carries a `//` comment upstream: it parses as JSONC.
    const parsed = await readJsonFile(shared);
    expect(parsed.ok && (parsed.value as { securityRules: unknown[] }).securityRules).toHaveLength(2);
    const result = await loadEstateFiles([shared]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]?.message).toContain('holds no Azure resources');
  });
});

describe('loadTemplateFile', () => {
  it('reads a template with the parameters file beside it', async () => {
    const template = write('t.json', JSON.stringify({
      parameters: { name: { type: 'string' } },
      resources: [{ type: 'Microsoft.Network/applicationSecurityGroups', name: "[parameters('name')]", properties: {} }],
    }));
    write('t.parameters.json', JSON.stringify({ parameters: { name: { value: 'asg-from-file' } } }));
    const result = await loadTemplateFile(template);
    expect(result.ok && result.value.resources.map((r) => r['name'])).toEqual(['asg-from-file']);
    expect(result.ok && result.value.label).toBe('t');
  });

  it('reports an unreadable template', async () => {
    const result = await loadTemplateFile(join(dir, 'nope'));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem.message).toContain('no such file');
  });
});

describe('ruleSetDocument: the bicep docs rule files as standalone NSGs', () => {
  const bicep = (path: string) => resolve(CORPUS, 'templates/bicep-docs-samples', path);

  it.each([
    ['samples/patterns-shared-variable-file/shared-rules.json', ['Allow_RDP_from_company_IP_address', 'Allow_VirtualNetwork_to_Storage']],
    ['samples/loops/multiplesecurityrules.parameters.json', ['RDPAllow', 'HTTPAllow']],
    ['syntax-samples/functions/loadJsonContent/nsg-security-rules.json', ['nsg-security-rules-1']],
  ])('%s', async (path, names) => {
    const read = await readJsonFile(bicep(path));
    if (!read.ok) throw new Error(read.problem.message);
    const label = path.split('/').pop()?.replace(/\.json$/, '') ?? '';
    const result = ruleSetDocument(read.value, { label });
    if (!result.ok) throw new Error(result.error);
    const estate = loadEstate([result.document]);
    expect(estate.errors).toEqual([]);
    const nsg = [...estate.networkSecurityGroups.values()][0];
    expect(nsg?.name).toBe(label);
    expect((nsg?.raw['securityRules'] as { name: string }[]).map((r) => r.name)).toEqual(names);
  });

  it('refuses a file with no rules', async () => {
    const read = await readJsonFile(resolve(CORPUS, 'templates/bicep-docs-samples/samples/patterns-shared-variable-file/shared-prefixes.json'));
    expect(read.ok && ruleSetDocument(read.value, { label: 'shared-prefixes' })).toEqual({
      ok: false,
      error: 'shared-prefixes holds no security rules (objects with direction and access)',
    });
  });
});
