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

export function jsonReport(report: ScanReport): JsonReport {
  return {
    findings: report.findings.map((f) => ({
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
    })),
    errors: report.errors.map((e) => ({
      resourceId: e.resourceId,
      message: e.message,
      ...(e.rule === undefined ? {} : { rule: e.rule }),
      ...(e.field === undefined ? {} : { field: e.field }),
    })),
    unjudged: report.unjudged.map((u) => ({ resourceId: u.resourceId, kind: u.kind, reasons: u.reasons })),
    summary: summarize(report),
  };
}

/** The report as JSON text, written in chunks so a large scan never builds one giant string twice. */
export function* jsonChunks(report: ScanReport): Generator<string> {
  const json = jsonReport(report);
  yield '{"findings":[';
  for (let i = 0; i < json.findings.length; i += 1) yield `${i > 0 ? ',' : ''}\n${JSON.stringify(json.findings[i])}`;
  yield '\n],"errors":[';
  for (let i = 0; i < json.errors.length; i += 1) yield `${i > 0 ? ',' : ''}\n${JSON.stringify(json.errors[i])}`;
  yield '\n],"unjudged":[';
  for (let i = 0; i < json.unjudged.length; i += 1) yield `${i > 0 ? ',' : ''}\n${JSON.stringify(json.unjudged[i])}`;
  yield `\n],"summary":${JSON.stringify(json.summary)}}\n`;
}
