/** `--format json`: DESIGN §5's shape — findings, errors and a summary. */
import { summarize, type ScanReport, type ScanSummary } from './report.js';
import type { Finding, ResourceError } from '../verdicts/finding.js';

/** A finding as the JSON report writes it: every field of the finding model, in this order. */
export type JsonFinding = Pick<
  Finding,
  'ruleId' | 'severity' | 'resourceId' | 'resourceName' | 'title' | 'message' | 'scope' | 'fingerprint' | 'evidence' | 'remediation'
>;

export type JsonError = ResourceError;

export interface JsonUnjudged {
  resourceId: string;
  kind: 'networkSecurityGroup' | 'subnet' | 'networkInterface';
  reasons: string[];
}

export interface JsonReport {
  findings: JsonFinding[];
  errors: JsonError[];
  /** What was not judged and why (DESIGN §5): the scan exits 2 on any unless --allow-unjudged. */
  unjudged: JsonUnjudged[];
  summary: ScanSummary;
}

function jsonFinding(f: Finding): JsonFinding {
  return {
    ruleId: f.ruleId,
    severity: f.severity,
    resourceId: f.resourceId,
    resourceName: f.resourceName,
    title: f.title,
    message: f.message,
    scope: f.scope,
    fingerprint: f.fingerprint,
    evidence: f.evidence,
    remediation: f.remediation,
  };
}

function jsonError(e: ResourceError): JsonError {
  return {
    resourceId: e.resourceId,
    message: e.message,
    ...(e.rule === undefined ? {} : { rule: e.rule }),
    ...(e.field === undefined ? {} : { field: e.field }),
  };
}

function jsonUnjudged(u: ScanReport['unjudged'][number]): JsonUnjudged {
  return { resourceId: u.resourceId, kind: u.kind, reasons: u.reasons };
}

export function jsonReport(report: ScanReport): JsonReport {
  return {
    findings: report.findings.map(jsonFinding),
    errors: report.errors.map(jsonError),
    unjudged: report.unjudged.map(jsonUnjudged),
    summary: summarize(report),
  };
}

/** Entries per chunk: few writes, and no chunk much larger than a few hundred KiB. */
const BATCH = 200;

/**
 * The report as JSON text (the text of {@link jsonReport}, one entry per line), written as it is
 * serialised: each entry is turned into text only when its chunk is asked for, so a large scan
 * never holds its whole output, nor a second copy of its findings.
 */
export function* jsonChunks(report: ScanReport): Generator<string> {
  yield '{"findings":[';
  yield* entries(report.findings, jsonFinding);
  yield '\n],"errors":[';
  yield* entries(report.errors, jsonError);
  yield '\n],"unjudged":[';
  yield* entries(report.unjudged, jsonUnjudged);
  yield `\n],"summary":${JSON.stringify(summarize(report))}}\n`;
}

function* entries<T>(items: readonly T[], shape: (item: T) => unknown): Generator<string> {
  for (let start = 0; start < items.length; start += BATCH) {
    let chunk = '';
    const end = Math.min(items.length, start + BATCH);
    for (let i = start; i < end; i += 1) chunk += `${i > 0 ? ',' : ''}\n${JSON.stringify(shape(items[i] as T))}`;
    yield chunk;
  }
}
