/** What one scan produced, as every output format (table, json, sarif) reads it. */
import type { Estate } from '../estate/model.js';
import { SEVERITIES, atLeast, type Finding, type ResourceError, type Severity } from '../verdicts/finding.js';
import type { RuleMeta } from '../rules/support/types.js';
import type { UnjudgedResource } from '../rules/support/evaluate.js';

export interface ScanReport {
  findings: Finding[];
  errors: ResourceError[];
  /** Normalised ids of the resources judged. */
  judged: string[];
  /** NSGs, subnets and NICs not judged (at one attachment point at least), and why. */
  unjudged: UnjudgedResource[];
  /** --allow-unjudged: what could not be judged is reported but does not fail the scan. */
  allowUnjudged: boolean;
  estate: Estate;
  /** The rules that ran (built-in and users' policies), for SARIF's rule list and the summary. */
  rules: readonly RuleMeta[];
  failOn: Severity;
  /** Where each input came from: file paths as given (relative to `cwd`), or `subscription <id>`. */
  files: readonly string[];
  cwd: string;
}

export interface ScanSummary {
  findings: number;
  bySeverity: Record<Severity, number>;
  byRule: Record<string, number>;
  errors: number;
  judged: number;
  /** NSGs, subnets and NICs not judged: the scan exits 2 unless --allow-unjudged. */
  unjudged: number;
  resources: {
    networkSecurityGroups: number;
    subnets: number;
    networkInterfaces: number;
    virtualNetworks: number;
    natGateways: number;
    bastionHosts: number;
    applicationSecurityGroups: number;
  };
  failOn: Severity;
  /** True when a finding is at or above failOn (exit code 1). */
  failed: boolean;
  /** True when something was not judged and --allow-unjudged was not given (exit code 2). */
  incomplete: boolean;
  /** Per input, the resource types it holds that nsgwatch reads but does not use, with counts (DESIGN §5). */
  unusedTypes: { source: string; types: Record<string, number> }[];
}

export function incomplete(report: Pick<ScanReport, 'unjudged' | 'allowUnjudged'>): boolean {
  return report.unjudged.length > 0 && !report.allowUnjudged;
}

export function failing(report: Pick<ScanReport, 'findings' | 'failOn'>): boolean {
  return report.findings.some((f) => atLeast(f.severity, report.failOn));
}

export function summarize(report: ScanReport): ScanSummary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byRule: Record<string, number> = {};
  for (const f of report.findings) {
    bySeverity[f.severity] += 1;
    byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  }
  const e = report.estate;
  return {
    findings: report.findings.length,
    bySeverity,
    byRule,
    errors: report.errors.length,
    judged: report.judged.length,
    unjudged: report.unjudged.length,
    resources: {
      networkSecurityGroups: e.networkSecurityGroups.size,
      subnets: e.subnets.size,
      networkInterfaces: e.networkInterfaces.size,
      virtualNetworks: e.virtualNetworks.size,
      natGateways: e.natGateways.size,
      bastionHosts: e.bastionHosts.size,
      applicationSecurityGroups: e.applicationSecurityGroups.size,
    },
    failOn: report.failOn,
    failed: failing(report),
    incomplete: incomplete(report),
    unusedTypes: e.sources.filter((source) => Object.keys(source.ignoredTypes).length > 0).map((source) => ({ source: source.source, types: { ...source.ignoredTypes } })),
  };
}
