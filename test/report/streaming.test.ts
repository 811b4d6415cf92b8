/**
 * The report formats are written as they are produced (jsonChunks, tableChunks, sarifChunks): the
 * streamed text must be exactly the text of the whole-document forms, on the sample estate, on the
 * generated bench estate (scaled down, written over many lines so SARIF points at real lines) and
 * on a scan with nothing to report.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEstate, type EstateDocument } from '../../lib/estate/load.js';
import { RULES, evaluateEstate } from '../../lib/rules/index.js';
import { jsonChunks, jsonReport } from '../../lib/report/json.js';
import type { ScanReport } from '../../lib/report/report.js';
import { sarifChunks, sarifReport } from '../../lib/report/sarif.js';
import { tableChunks, tableReport } from '../../lib/report/table.js';
import { SCALE, scaleEstate } from '../../bench/scan.bench.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SAMPLES = ['gateways-and-groups', 'network-interfaces', 'network-security-groups', 'virtual-networks'].map((f) => `samples/estate/${f}.json`);

function reportOf(documents: EstateDocument[]): ScanReport {
  const estate = loadEstate(documents);
  const result = evaluateEstate(estate);
  return {
    findings: result.findings,
    errors: [...estate.errors, ...result.errors],
    judged: result.judged,
    unjudged: result.unjudged,
    allowUnjudged: false,
    estate,
    rules: RULES.map((r) => r.meta),
    failOn: 'low',
    files: documents.map((d) => d.source),
    cwd: ROOT,
  };
}

const joined = (chunks: Iterable<string>): string => [...chunks].join('');

function expectStreamedAsWhole(report: ScanReport, contents: ReadonlyMap<string, string>): void {
  // One entry per line, as the JSON report has always been written.
  const json = jsonReport(report);
  const list = (items: readonly unknown[]): string => items.map((item, i) => `${i > 0 ? ',' : ''}\n${JSON.stringify(item)}`).join('');
  expect(joined(jsonChunks(report))).toBe(
    `{"findings":[${list(json.findings)}\n],"errors":[${list(json.errors)}\n],"unjudged":[${list(json.unjudged)}\n],"summary":${JSON.stringify(json.summary)}}\n`,
  );
  expect(JSON.parse(joined(jsonChunks(report)))).toEqual(json);
  expect(joined(sarifChunks(report, { contents }))).toBe(`${JSON.stringify(sarifReport(report, { contents }), null, 2)}\n`);
  expect(joined(tableChunks(report))).toBe(tableReport(report));
  expect(joined(tableChunks(report, { width: 60 }))).toBe(tableReport(report, { width: 60 }));
}

describe('streamed reports', () => {
  it('the sample estate: every format streams the text of the whole document', () => {
    const contents = new Map(SAMPLES.map((f) => [f, readFileSync(resolve(ROOT, f), 'utf8')]));
    const report = reportOf(SAMPLES.map((f) => ({ source: f, json: JSON.parse(contents.get(f) ?? '') as unknown })));
    expect(report.findings.length).toBeGreaterThan(0);
    expectStreamedAsWhole(report, contents);
  });

  it('a generated estate of more findings than one chunk holds, with SARIF lines from a multi-line file', () => {
    const resources = scaleEstate({ ...SCALE, vnets: 20, nsgs: 150, nics: 600, hugeNsgs: 1, scaleSets: 2, instancesPerScaleSet: 5, publicIps: 20, loadBalancers: 4, natGateways: 2 });
    const text = JSON.stringify(resources, null, 1);
    const report = reportOf([{ source: 'estate.json', json: resources }]);
    expect(report.findings.length).toBeGreaterThan(600);
    const contents = new Map([['estate.json', text]]);
    expectStreamedAsWhole(report, contents);
    // Results point at the line that names the resource, not at line 1.
    const sarif = JSON.parse(joined(sarifChunks(report, { contents }))) as { runs: { results: { locations: { physicalLocation: { region: { startLine: number } } }[]; properties: { resourceId: string } }[] }[] };
    const lines = text.split('\n');
    const results = sarif.runs[0]?.results ?? [];
    expect(results.length).toBe(report.findings.length);
    for (const r of results.slice(0, 50)) {
      const line = r.locations[0]?.physicalLocation.region.startLine ?? 0;
      expect(line).toBeGreaterThan(1);
      expect(lines[line - 1]?.toLowerCase()).toContain(`"${r.properties.resourceId.toLowerCase()}"`);
      expect(lines.slice(0, line - 1).some((l) => l.toLowerCase().includes(`"${r.properties.resourceId.toLowerCase()}"`))).toBe(false);
    }
  });

  it('nothing to report: the empty lists are written as the whole document writes them', () => {
    const report = reportOf([{ source: 'empty.json', json: [] }]);
    expect(report.findings).toEqual([]);
    expectStreamedAsWhole(report, new Map());
  });
});
