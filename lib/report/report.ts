/** What one scan produced, as every output format (table, json, sarif) reads it. */
import type { Estate } from '../estate/model.js';
import { SEVERITIES, atLeast, type Finding, type ResourceError, type Severity } from '../verdicts/finding.js';
import type { RuleMeta } from '../rules/support/types.js';

export interface ScanReport {
  findings: Finding[];
  errors: ResourceError[];
  /** Normalised ids of the resources judged. */
  judged: string[];
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
  };
}
