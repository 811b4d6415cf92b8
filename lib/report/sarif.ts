/**
 * `--format sarif`: SARIF 2.1.0 as GitHub code scanning takes it — rules with descriptions, help
 * (text and Markdown), `security-severity` and tags; results with a level, a one-line message, a
 * location (the input file the resource came from, and the resource id as a logical location)
 * and partialFingerprints from the finding's stable fingerprint.
 */
import { relative, resolve, sep } from 'node:path';
import type { Estate, EstateResource } from '../estate/model.js';
import { type Finding, type Severity } from '../verdicts/finding.js';
import { normalizeId } from '../arm/index.js';
import type { RuleMeta } from '../rules/support/types.js';
import { incomplete, type ScanReport } from './report.js';
import { assertNever } from '../nsg/index.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const VERSION = '0.1.0';

type SarifLevel = 'error' | 'warning' | 'note';

function levelOf(severity: Severity): SarifLevel {
  switch (severity) {
    case 'critical':
    case 'high':
      return 'error';
    case 'medium':
      return 'warning';
    case 'low':
    case 'info':
      return 'note';
    default:
      return assertNever(severity, 'severity');
  }
}

/** GitHub's bands: ≥ 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low. */
function securitySeverity(severity: Severity): string {
  switch (severity) {
    case 'critical':
      return '9.5';
    case 'high':
      return '8.0';
    case 'medium':
      return '5.5';
    case 'low':
      return '3.0';
    case 'info':
      return '0.5';
    default:
      return assertNever(severity, 'severity');
  }
}

function pascalName(title: string): string {
  return title
    .replace(/[^A-Za-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .map((w) => (w.length > 0 ? (w[0] ?? '').toUpperCase() + w.slice(1) : ''))
    .join('');
}

/** The catalogue entry as help text: what, why, how to fix, references. */
export function ruleHelp(meta: RuleMeta): { text: string; markdown: string } {
  const urls = meta.references.filter((r) => /^https?:\/\//.test(r));
  const controls = meta.references.filter((r) => !/^https?:\/\//.test(r));
  const text = [
    meta.description,
    '',
    `Why: ${meta.rationale}`,
    '',
    `Fix (az): ${meta.remediation.az}`,
    '',
    'Fix (Bicep):',
    meta.remediation.bicep,
    ...(meta.references.length > 0 ? ['', `References: ${meta.references.join(', ')}`] : []),
  ].join('\n');
  const markdown = [
    `**${meta.id} — ${meta.title}** (${meta.severity})`,
    '',
    meta.description,
    '',
    `**Why it matters.** ${meta.rationale}`,
    '',
    '**Fix with the Azure CLI**',
    '',
    '```sh',
    meta.remediation.az,
    '```',
    '',
    '**Fix in Bicep**',
    '',
    '```bicep',
    meta.remediation.bicep,
    '```',
    ...(controls.length > 0 ? ['', `**Controls:** ${controls.join(', ')}`] : []),
    ...(urls.length > 0 ? ['', '**References**', '', ...urls.map((u) => `- <${u}>`)] : []),
  ].join('\n');
  return { text, markdown };
}

function sarifRule(meta: RuleMeta) {
  const helpUri = meta.references.find((r) => /^https?:\/\//.test(r));
  return {
    id: meta.id,
    name: pascalName(meta.title),
    shortDescription: { text: meta.title },
    fullDescription: { text: meta.description },
    help: ruleHelp(meta),
    ...(helpUri ? { helpUri } : {}),
    defaultConfiguration: { level: levelOf(meta.severity) },
    properties: {
      'security-severity': securitySeverity(meta.severity),
      tags: ['security', 'azure', 'network-security-group', meta.category],
      precision: 'very-high',
    },
  };
}

function resourceOf(estate: Estate, id: string): EstateResource | undefined {
  const key = normalizeId(id);
  return (
    estate.networkSecurityGroups.get(key) ??
    estate.subnets.get(key) ??
    estate.networkInterfaces.get(key) ??
    estate.virtualNetworks.get(key) ??
    estate.natGateways.get(key) ??
    estate.bastionHosts.get(key) ??
    estate.securityAdmin?.rules.get(key)
  );
}

/** A file's text as searched (lower case), where its lines start, and where each quoted id first appears. */
interface IndexedText {
  lower: string;
  /** Offsets of the newlines in the text as read. */
  newlines: number[];
  /** Text between two consecutive quotes that starts with `/` → offset of the first such quote. */
  quoted: Map<string, number>;
}

function indexText(text: string): IndexedText {
  const lower = text.toLowerCase();
  const newlines: number[] = [];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines.push(i);
  const quoted = new Map<string, number>();
  // `"id"` (an id holds no quote) is found exactly where a quote, the id and the next quote stand.
  for (let q = lower.indexOf('"'); q >= 0; ) {
    const next = lower.indexOf('"', q + 1);
    if (next < 0) break;
    if (lower.charCodeAt(q + 1) === 47) {
      const token = lower.slice(q + 1, next);
      if (!quoted.has(token)) quoted.set(token, q);
    }
    q = next;
  }
  return { lower, newlines, quoted };
}

/**
 * The first line of a file that names a resource's id (1 when it does not appear, e.g. templates).
 * Each file is indexed once, so a large report costs one pass per file, not one per finding.
 */
function lineFinder(contents: ReadonlyMap<string, string> | undefined): (source: string, id: string) => number {
  const indexed = new Map<string, IndexedText | undefined>();
  return (source, id) => {
    let entry = indexed.get(source);
    if (!indexed.has(source)) {
      const text = contents?.get(source);
      entry = text ? indexText(text) : undefined;
      indexed.set(source, entry);
    }
    if (!entry) return 1;
    const wanted = id.toLowerCase();
    const at = wanted.startsWith('/') && !wanted.includes('"') ? (entry.quoted.get(wanted) ?? -1) : entry.lower.indexOf(`"${wanted}"`);
    if (at < 0) return 1;
    // The line of `at`: one more than the newlines before it.
    let lo = 0;
    let hi = entry.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((entry.newlines[mid] as number) < at) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

function uriOf(path: string, cwd: string): string {
  return relative(cwd, resolve(cwd, path)).split(sep).join('/');
}

export interface SarifOptions {
  /** File contents by source path, to point results at the line that names the resource. */
  contents?: ReadonlyMap<string, string>;
}

/** Stands for the results in the envelope's text, where {@link sarifChunks} writes them one by one. */
const RESULTS_MARK = '\u0000nsgwatch-results\u0000';
/** Results per chunk. */
const BATCH = 200;

/**
 * The text of `JSON.stringify(sarifReport(report), null, 2)` and a newline, written as it is
 * produced: the envelope is serialised once, and each chunk of results only when it is asked for.
 */
export function* sarifChunks(report: ScanReport, options: SarifOptions = {}): Generator<string> {
  const { envelope, result } = sarifParts(report, options);
  const findings = report.findings;
  if (findings.length === 0) {
    yield `${JSON.stringify(envelope([]), null, 2)}\n`;
    return;
  }
  const text = JSON.stringify(envelope([RESULTS_MARK]), null, 2);
  const mark = JSON.stringify(RESULTS_MARK);
  const at = text.indexOf(mark);
  const lineStart = text.lastIndexOf('\n', at) + 1;
  // Nested values are indented by their depth: the results' own indent goes before each line.
  const indent = text.slice(lineStart, at);
  yield text.slice(0, at);
  for (let start = 0; start < findings.length; start += BATCH) {
    let chunk = '';
    const end = Math.min(findings.length, start + BATCH);
    for (let i = start; i < end; i += 1) {
      chunk += `${i > 0 ? `,\n${indent}` : ''}${JSON.stringify(result(findings[i] as Finding), null, 2).replaceAll('\n', `\n${indent}`)}`;
    }
    yield chunk;
  }
  yield `${text.slice(at + mark.length)}\n`;
}

export function sarifReport(report: ScanReport, options: SarifOptions = {}) {
  const { envelope, result } = sarifParts(report, options);
  return envelope(report.findings.map(result));
}

function sarifParts(report: ScanReport, options: SarifOptions) {
  const rules = report.rules.map(sarifRule);
  const index = new Map(report.rules.map((r, i) => [r.id, i]));
  const files = new Set(report.files);
  const lineOf = lineFinder(options.contents);
  const location = (finding: Finding) => {
    const resource = resourceOf(report.estate, finding.resourceId);
    const source = resource?.origin.source;
    const logical = { fullyQualifiedName: finding.resourceId, name: finding.resourceName, kind: 'resource' };
    if (source !== undefined && files.has(source)) {
      return {
        physicalLocation: {
          artifactLocation: { uri: uriOf(source, report.cwd) },
          region: { startLine: lineOf(source, resource?.id ?? finding.resourceId) },
        },
        logicalLocations: [logical],
      };
    }
    // Read live from Azure: the resource id (as a relative path) is the artifact.
    return {
      physicalLocation: { artifactLocation: { uri: finding.resourceId.replace(/^\/+/, '') }, region: { startLine: 1 } },
      logicalLocations: [logical],
    };
  };
  const result = (f: Finding) => ({
    ruleId: f.ruleId,
    ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId) } : {}),
    level: levelOf(f.severity),
    message: { text: f.message },
    locations: [location(f)],
    partialFingerprints: { 'nsgwatchFindingFingerprint/v1': f.fingerprint },
    properties: { severity: f.severity, resourceId: f.resourceId, scope: f.scope },
  });
  const envelope = <R>(results: R[]) => ({
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'nsgwatch', version: VERSION, semanticVersion: VERSION, rules } },
        results,
        invocations: [
          {
            executionSuccessful: !incomplete(report),
            toolExecutionNotifications: [
              ...report.errors.map((e) => ({
                level: 'error',
                message: { text: `${e.resourceId || '(input)'}${e.rule ? ` rule ${e.rule}` : ''}${e.field ? ` field ${e.field}` : ''}: ${e.message}` },
              })),
              ...report.unjudged.map((u) => ({
                level: report.allowUnjudged ? 'warning' : 'error',
                descriptor: { id: 'nsgwatch/not-judged' },
                message: { text: `${u.resourceId} was not judged: ${u.reasons.join('; ')}` },
                properties: { resourceId: u.resourceId, kind: u.kind, reasons: u.reasons },
              })),
            ],
          },
        ],
      },
    ],
  });
  return { envelope, result };
}
