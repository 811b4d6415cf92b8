/**
 * Mapping between the store's data and Table Storage entities. Every finding row carries every
 * field (cleared ones as ''), so a Merge write is as good as a Replace and never leaves stale values.
 */
import { createHash } from 'node:crypto';
import type { TableEntity, TableEntityResult } from '@azure/data-tables';
import { isSeverity, type Evidence, type Finding, type Remediation } from '../verdicts/finding.js';
import { errorMessage } from '../nsg/index.js';
import { kindOfId, normalizeId, parseResourceId } from '../arm/index.js';
import { fitEvidence, fitText, splitIntoParts, EVIDENCE_PARTS } from './evidence.js';
import { findingKey, findingRowKey, historyRowKey, partitionOfKey, transitionId } from './keys.js';
import type { FindingContent, StoredState } from './lifecycle.js';
import {
  type EvaluationCause,
  type EvidenceTrimming,
  FINDING_STATUSES,
  type FindingStatus,
  type HistoryEntry,
  type StoredFinding,
  type Suppression,
  type Transition,
  TRANSITION_KINDS,
  type TransitionKind,
} from './types.js';

export type Entity = TableEntity<Record<string, unknown>>;
export type EntityResult = TableEntityResult<Record<string, unknown>>;

export const ROW_KIND = { finding: 'finding', transition: 'transition' } as const;

/** The property holding evidence part `i`: `evidence`, `evidence1`, `evidence2`, ... */
function evidenceProperty(i: number): string {
  return i === 0 ? 'evidence' : `evidence${i}`;
}

const SHORT_TEXT = 2_000;

/** A finding from the rules, fitted for storage (text cut, evidence trimmed when too large). */
export function contentOf(finding: Finding): { content: FindingContent; contentHash: string } {
  const fitted = fitEvidence(finding.evidence);
  const evidence: Evidence = fitted.trimmed ? (JSON.parse(fitted.json) as Evidence) : finding.evidence;
  const remediation: Remediation = {
    az: fitText(finding.remediation.az),
    bicep: fitText(finding.remediation.bicep),
  };
  const content: FindingContent = {
    id: findingKey(finding.ruleId, finding.resourceId, finding.scope),
    ruleId: finding.ruleId,
    severity: finding.severity,
    resourceId: finding.resourceId,
    resourceName: fitText(finding.resourceName, SHORT_TEXT),
    scope: fitText(finding.scope),
    fingerprint: fitText(finding.fingerprint),
    title: fitText(finding.title),
    message: fitText(finding.message),
    evidence,
    remediation,
  };
  if (fitted.trimmed) content.evidenceTrimmed = fitted.trimmed;
  const contentHash = createHash('sha256')
    .update(
      JSON.stringify([
        content.severity,
        content.resourceId,
        content.resourceName,
        content.fingerprint,
        content.title,
        content.message,
        fitted.json,
        remediation,
      ]),
    )
    .digest('base64url');
  return { content, contentHash };
}

export function findingEntity(finding: StoredFinding, contentHash: string, version: number, writeNonce: string): Entity {
  const parts = splitIntoParts(JSON.stringify(finding.evidence));
  const entity: Entity = {
    partitionKey: partitionOfKey(finding.id),
    rowKey: findingRowKey(finding.id),
    kind: ROW_KIND.finding,
    findingId: finding.id,
    ruleId: finding.ruleId,
    severity: finding.severity,
    resourceId: finding.resourceId,
    resourceKey: normalizeId(finding.resourceId),
    resourceName: finding.resourceName,
    scope: finding.scope,
    fingerprint: finding.fingerprint,
    title: finding.title,
    message: finding.message,
    remediationAz: finding.remediation.az,
    remediationBicep: finding.remediation.bicep,
    evidenceParts: parts.length,
    evidenceTrimmed: finding.evidenceTrimmed ? JSON.stringify(finding.evidenceTrimmed) : '',
    contentHash,
    version,
    writeNonce,
    status: finding.status,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    resolvedAt: finding.resolvedAt ?? '',
    changedBy: finding.changedBy ?? '',
    suppressionId: finding.suppression?.id ?? '',
    suppressionReason: finding.suppression?.reason ?? '',
    suppressionExpiresAt: finding.suppression?.expiresAt ?? '',
    suppressionBy: finding.suppression?.by ?? '',
    judgedIn: judgedIn(finding),
  };
  // Parts beyond the current count are blanked so a Merge leaves nothing stale behind.
  for (let i = 0; i < EVIDENCE_PARTS; i++) entity[evidenceProperty(i)] = parts[i] ?? '';
  return entity;
}

/**
 * For a finding on a security admin rule, the subscription whose networks it was judged at (every
 * attachment's), else '': that subscription's whole re-judgement settles it wherever the rule's
 * manager lives (writes.ts).
 */
export function judgedIn(finding: Pick<StoredFinding, 'resourceId' | 'evidence'>): string {
  if (kindOfId(normalizeId(finding.resourceId)) !== 'adminRule') return '';
  const attachments = finding.evidence.attachments;
  if (!Array.isArray(attachments) || attachments.length === 0) return '';
  const subscriptions = new Set(attachments.map((a) => (typeof a === 'string' ? (parseResourceId(a)?.subscriptionId.toLowerCase() ?? '') : '')));
  const [only] = subscriptions;
  return subscriptions.size === 1 && only !== undefined ? only : '';
}

function text(entity: Record<string, unknown>, key: string): string {
  const value = entity[key];
  return typeof value === 'string' ? value : '';
}

function optional(entity: Record<string, unknown>, key: string): string | undefined {
  const value = text(entity, key);
  return value === '' ? undefined : value;
}

function parseJson<T>(raw: string, what: string, rowKey: string): T {
  try {
    return JSON.parse(raw) as T;
  } catch (error) {
    throw new Error(`stored ${what} of ${rowKey} is not valid JSON: ${errorMessage(error)}`, { cause: error });
  }
}

export function stateFromEntity(entity: Record<string, unknown>): StoredState {
  const rowKey = text(entity, 'rowKey');
  const severity = text(entity, 'severity');
  const status = text(entity, 'status');
  if (!isSeverity(severity)) throw new Error(`stored finding ${rowKey} has an unknown severity "${severity}"`);
  if (!(FINDING_STATUSES as readonly string[]).includes(status)) {
    throw new Error(`stored finding ${rowKey} has an unknown status "${status}"`);
  }
  const partCount = typeof entity['evidenceParts'] === 'number' ? entity['evidenceParts'] : 1;
  let evidenceJson = '';
  for (let i = 0; i < partCount; i++) evidenceJson += text(entity, evidenceProperty(i));
  const finding: StoredFinding = {
    id: text(entity, 'findingId'),
    ruleId: text(entity, 'ruleId'),
    severity,
    resourceId: text(entity, 'resourceId'),
    resourceName: text(entity, 'resourceName'),
    scope: text(entity, 'scope'),
    fingerprint: text(entity, 'fingerprint'),
    title: text(entity, 'title'),
    message: text(entity, 'message'),
    evidence: evidenceJson === '' ? {} : parseJson<Evidence>(evidenceJson, 'evidence', rowKey),
    remediation: { az: text(entity, 'remediationAz'), bicep: text(entity, 'remediationBicep') },
    status: status as FindingStatus,
    firstSeen: text(entity, 'firstSeen'),
    lastSeen: text(entity, 'lastSeen'),
  };
  const resolvedAt = optional(entity, 'resolvedAt');
  if (resolvedAt) finding.resolvedAt = resolvedAt;
  const changedBy = optional(entity, 'changedBy');
  if (changedBy) finding.changedBy = changedBy;
  const suppressionId = optional(entity, 'suppressionId');
  if (suppressionId) {
    finding.suppression = {
      id: suppressionId,
      reason: text(entity, 'suppressionReason'),
      expiresAt: text(entity, 'suppressionExpiresAt'),
      by: text(entity, 'suppressionBy'),
    };
  }
  const trimmed = optional(entity, 'evidenceTrimmed');
  if (trimmed) finding.evidenceTrimmed = parseJson<EvidenceTrimming>(trimmed, 'evidenceTrimmed', rowKey);
  const version = typeof entity['version'] === 'number' ? entity['version'] : 0;
  return { finding, contentHash: text(entity, 'contentHash'), version, writeNonce: text(entity, 'writeNonce') };
}

const CAUSE_TEXT = 1_000;

export function transitionOf(
  kind: TransitionKind,
  previous: FindingStatus | undefined,
  finding: StoredFinding,
  version: number,
  at: string,
  cause: EvaluationCause,
): Transition {
  const transition: Transition = { id: transitionId(finding.id, version), kind, finding, at };
  if (previous) transition.previousStatus = previous;
  if (cause.eventId) transition.eventId = fitText(cause.eventId, CAUSE_TEXT);
  if (cause.correlationId) transition.correlationId = fitText(cause.correlationId, CAUSE_TEXT);
  if (cause.changedBy) transition.changedBy = fitText(cause.changedBy, CAUSE_TEXT);
  if (cause.operation) transition.operation = fitText(cause.operation, CAUSE_TEXT);
  if (cause.eventTime && !Number.isNaN(cause.eventTime.getTime())) transition.eventTime = cause.eventTime.toISOString();
  return transition;
}

export function historyEntity(transition: Transition): Entity {
  const f = transition.finding;
  return {
    partitionKey: partitionOfKey(f.id),
    rowKey: historyRowKey(transition.id),
    kind: ROW_KIND.transition,
    findingId: f.id,
    transition: transition.kind,
    previousStatus: transition.previousStatus ?? '',
    status: f.status,
    at: transition.at,
    ruleId: f.ruleId,
    severity: f.severity,
    resourceId: f.resourceId,
    title: fitText(f.title, SHORT_TEXT),
    eventId: transition.eventId ?? '',
    correlationId: transition.correlationId ?? '',
    changedBy: transition.changedBy ?? '',
    operation: transition.operation ?? '',
    eventTime: transition.eventTime ?? '',
    suppressionId: f.suppression?.id ?? '',
  };
}

export function historyFromEntity(entity: Record<string, unknown>): HistoryEntry {
  const rowKey = text(entity, 'rowKey');
  const kind = text(entity, 'transition');
  const status = text(entity, 'status');
  const severity = text(entity, 'severity');
  if (!(TRANSITION_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`stored history row ${rowKey} has an unknown transition "${kind}"`);
  }
  if (!(FINDING_STATUSES as readonly string[]).includes(status)) {
    throw new Error(`stored history row ${rowKey} has an unknown status "${status}"`);
  }
  if (!isSeverity(severity)) throw new Error(`stored history row ${rowKey} has an unknown severity "${severity}"`);
  const entry: HistoryEntry = {
    id: rowKey.slice(2),
    findingId: text(entity, 'findingId'),
    kind: kind as TransitionKind,
    status: status as FindingStatus,
    at: text(entity, 'at'),
    ruleId: text(entity, 'ruleId'),
    severity: severity,
    resourceId: text(entity, 'resourceId'),
  };
  const previous = optional(entity, 'previousStatus');
  if (previous && (FINDING_STATUSES as readonly string[]).includes(previous)) entry.previousStatus = previous as FindingStatus;
  for (const key of ['eventId', 'correlationId', 'changedBy', 'operation', 'eventTime', 'suppressionId'] as const) {
    const value = optional(entity, key);
    if (value !== undefined) entry[key] = value;
  }
  return entry;
}

export const SUPPRESSION_PARTITION = 'suppression';

export function suppressionEntity(s: Suppression): Entity {
  return {
    partitionKey: SUPPRESSION_PARTITION,
    rowKey: s.id,
    ruleId: s.ruleId,
    resourcePattern: s.resourcePattern,
    reason: s.reason,
    expiresAt: s.expiresAt,
    createdBy: s.createdBy,
    createdAt: s.createdAt,
  };
}

export function suppressionFromEntity(entity: Record<string, unknown>): Suppression {
  return {
    id: text(entity, 'rowKey'),
    ruleId: text(entity, 'ruleId'),
    resourcePattern: text(entity, 'resourcePattern'),
    reason: text(entity, 'reason'),
    expiresAt: text(entity, 'expiresAt'),
    createdBy: text(entity, 'createdBy'),
    createdAt: text(entity, 'createdAt'),
  };
}
