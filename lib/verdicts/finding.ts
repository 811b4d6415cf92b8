/**
 * The finding model shared by the rules (which produce findings), the store (which diffs and keeps
 * them), the alerts (which announce transitions) and every output format. Pure data.
 */

import { normalizeId } from '../arm/index.js';
import type { ResourceError, WitnessFlow } from '../nsg/index.js';

export type { ResourceError, WitnessFlow };
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** Most severe first. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export function severityRank(severity: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(severity);
}

/** True when `severity` is at or above `threshold` (critical > high > medium > low > info). */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** A concrete flow that proves a finding, in the words of IP flow verify. */
export interface DecidingRule {
  nsg: string;
  nsgName: string;
  rule: string;
  priority: number;
  access: 'Allow' | 'Deny';
  /**
   * A Virtual Network Manager security admin rule: its manager, configuration and collection (ARM
   * ids) and action. `AlwaysAllow` is what allows (the NSGs were skipped), `Deny` what blocks.
   */
  admin?: { id: string; manager: string; configuration: string; collection: string; action: 'Allow' | 'Deny' | 'AlwaysAllow' };
}

/** Evidence is JSON: the store serialises it and may trim it (never the witness). */
export interface Evidence {
  witness?: WitnessFlow;
  decidedBy?: DecidingRule[];
  /** ARM ids of the NICs / subnets whose effective policy shows the problem. */
  attachments?: string[];
  /** Service tags that had no address data and were treated as DESIGN §3 says. */
  unresolvedTags?: string[];
  /** Assumptions the verdict rests on, e.g. the default VirtualNetwork ranges. */
  assumptions?: string[];
  [key: string]: unknown;
}

export interface Remediation {
  az: string;
  bicep: string;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  /** ARM id of the resource the finding is reported on, as Azure spells it. */
  resourceId: string;
  resourceName: string;
  /** Distinguishes several findings of one rule on one resource (a rule name, a port, ...); '' if none. */
  scope: string;
  /** Stable identity across runs: see {@link fingerprint}. */
  fingerprint: string;
  title: string;
  message: string;
  evidence: Evidence;
  remediation: Remediation;
}

/** `ruleId|resource id (normalised)|scope`: stable across runs, casing and evidence changes. */
export function fingerprint(ruleId: string, resourceId: string, scope: string): string {
  return `${ruleId}|${normalizeId(resourceId)}|${scope}`;
}

/**
 * What one evaluation read and concluded. The store diffs only what was read: a finding on a
 * resource in `read` that is not in `findings` resolves; findings on resources outside `read`
 * (or in `unreadable`) are left alone.
 */
export interface EvaluationResult {
  /** Normalised ids of every resource this evaluation read successfully and judged. */
  read: string[];
  findings: Finding[];
  errors: ResourceError[];
  /** Resources the evaluation meant to read but could not (throttled, timed out, 5xx). */
  unreadable: { resourceId: string; reason: string }[];
  /** Resources that were confirmed deleted (404): their findings resolve. */
  deleted: string[];
  /**
   * A whole subscription judged: the stored findings on security admin rules (DESIGN §3
   * "Composition") that were judged from this subscription's networks are its to settle, those of
   * rules it no longer holds included (a rule, collection, configuration or manager deleted, or a
   * configuration no longer committed to the networks' region): they resolve unless produced again.
   */
  adminRulesOf?: AdminRulesOwned;
}

export interface AdminRulesOwned {
  /** Lower-case subscription id whose networks were judged, every one of them. */
  subscriptionId: string;
  /**
   * Normalised ids of the admin rules the evaluation holds (applied to a network or exported):
   * their findings settle through `read` when judged, and stay as they are when not.
   */
  held: string[];
}
