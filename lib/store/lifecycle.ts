/**
 * The finding lifecycle as a pure decision: given what is stored, what the evaluation observed and
 * the suppressions in force, what (if anything) changes. The store only reads, decides, writes.
 *
 *   (none)     ─present→ opened (or suppressed when a suppression matches)
 *   open       ─absent→  resolved     ─present→ reopened
 *   open       ─suppression→ suppressed ─suppression gone or expired→ open (suppressionExpired)
 *   suppressed ─absent→  resolved
 */
import type {
  Suppression as SuppressionRecord,
  EvaluationCause,
  FindingStatus,
  StoredFinding,
  SuppressionRef,
  TransitionKind,
} from './types.js';
import { activeSuppressionFor } from './suppressions.js';
import { assertNever } from '../nsg/index.js';

/** The finding as the evaluation produced it, already fitted for storage. */
export type FindingContent = Pick<
  StoredFinding,
  | 'id'
  | 'ruleId'
  | 'severity'
  | 'resourceId'
  | 'resourceName'
  | 'scope'
  | 'fingerprint'
  | 'title'
  | 'message'
  | 'evidence'
  | 'remediation'
  | 'evidenceTrimmed'
>;

export interface StoredState {
  finding: StoredFinding;
  contentHash: string;
  /** Transitions so far: the next one is `version + 1`. */
  version: number;
  /** Random per transition write: tells a writer whose response was lost that its write did land. */
  writeNonce: string;
}

export type Observation =
  /** The evaluation read the resource and the finding is there. */
  | { kind: 'present'; content: FindingContent; contentHash: string }
  /** The evaluation read the resource (or saw it deleted) and the finding is not there. */
  | { kind: 'absent' }
  /** Nothing was evaluated: only the suppressions changed (added, removed, expired). */
  | { kind: 'recheck' };

export type Decision =
  | { kind: 'unchanged' }
  /** Still there, nothing else changed: only lastSeen moves. */
  | { kind: 'touch' }
  /** Same status, new content or another suppression: no transition. */
  | { kind: 'refresh'; next: StoredFinding; contentHash: string }
  | {
      kind: 'transition';
      transition: TransitionKind;
      previous?: FindingStatus;
      next: StoredFinding;
      contentHash: string;
    };

/**
 * How fresh `lastSeen` is kept: an unchanged finding seen again within this long is not written
 * at all, so re-evaluating a busy scope costs reads, not writes.
 */
export const LAST_SEEN_RESOLUTION_MS = 5 * 60_000;

/** A finding seen again in the same status: its content refreshed if it changed, else lastSeen touched (now and then). */
function stillPresent(stored: StoredState, updated: StoredFinding, contentHash: string, now: Date): Decision {
  if (contentHash !== stored.contentHash) return { kind: 'refresh', next: updated, contentHash };
  return seenLately(stored.finding, now) ? { kind: 'unchanged' } : { kind: 'touch' };
}

function seenLately(finding: StoredFinding, now: Date): boolean {
  const last = Date.parse(finding.lastSeen);
  return Number.isFinite(last) && now.getTime() - last >= 0 && now.getTime() - last < LAST_SEEN_RESOLUTION_MS;
}

function refOf(s: SuppressionRecord): SuppressionRef {
  return { id: s.id, reason: s.reason, expiresAt: s.expiresAt, by: s.createdBy };
}

function withStatus(
  base: StoredFinding,
  status: FindingStatus,
  at: string,
  cause: EvaluationCause,
  suppression: SuppressionRecord | undefined,
): StoredFinding {
  const next: StoredFinding = { ...base, status };
  delete next.suppression;
  delete next.changedBy;
  if (suppression) next.suppression = refOf(suppression);
  if (cause.changedBy !== undefined) next.changedBy = cause.changedBy;
  if (status === 'resolved') next.resolvedAt = at;
  else delete next.resolvedAt;
  return next;
}

export function decide(
  stored: StoredState | undefined,
  observation: Observation,
  suppressions: readonly SuppressionRecord[],
  now: Date,
  cause: EvaluationCause,
): Decision {
  const at = now.toISOString();
  switch (observation.kind) {
    case 'present': {
      const { content, contentHash } = observation;
      const muting = activeSuppressionFor(suppressions, content.ruleId, content.resourceId, now);
      if (!stored) {
        const fresh: StoredFinding = { ...content, status: 'open', firstSeen: at, lastSeen: at };
        const status = muting ? 'suppressed' : 'open';
        return {
          kind: 'transition',
          transition: muting ? 'suppressed' : 'opened',
          next: withStatus(fresh, status, at, cause, muting),
          contentHash,
        };
      }
      const current = stored.finding;
      const updated: StoredFinding = { ...current, ...content, lastSeen: at };
      if (!content.evidenceTrimmed) delete updated.evidenceTrimmed;
      switch (current.status) {
        case 'resolved':
          return {
            kind: 'transition',
            transition: muting ? 'suppressed' : 'reopened',
            previous: 'resolved',
            next: withStatus(updated, muting ? 'suppressed' : 'open', at, cause, muting),
            contentHash,
          };
        case 'open':
          if (muting) {
            return {
              kind: 'transition',
              transition: 'suppressed',
              previous: 'open',
              next: withStatus(updated, 'suppressed', at, cause, muting),
              contentHash,
            };
          }
          return stillPresent(stored, updated, contentHash, now);
        case 'suppressed':
          if (!muting) {
            return {
              kind: 'transition',
              transition: 'suppressionExpired',
              previous: 'suppressed',
              next: withStatus(updated, 'open', at, cause, undefined),
              contentHash,
            };
          }
          if (muting.id !== current.suppression?.id) {
            return { kind: 'refresh', next: { ...updated, suppression: refOf(muting) }, contentHash };
          }
          return stillPresent(stored, updated, contentHash, now);
        default:
          return assertNever(current.status);
      }
    }
    case 'absent': {
      if (!stored || stored.finding.status === 'resolved') return { kind: 'unchanged' };
      return {
        kind: 'transition',
        transition: 'resolved',
        previous: stored.finding.status,
        next: withStatus(stored.finding, 'resolved', at, cause, undefined),
        contentHash: stored.contentHash,
      };
    }
    case 'recheck': {
      if (!stored) return { kind: 'unchanged' };
      const current = stored.finding;
      const muting = activeSuppressionFor(suppressions, current.ruleId, current.resourceId, now);
      switch (current.status) {
        case 'resolved':
          return { kind: 'unchanged' };
        case 'open':
          return muting
            ? {
                kind: 'transition',
                transition: 'suppressed',
                previous: 'open',
                next: withStatus(current, 'suppressed', at, cause, muting),
                contentHash: stored.contentHash,
              }
            : { kind: 'unchanged' };
        case 'suppressed':
          if (!muting) {
            return {
              kind: 'transition',
              transition: 'suppressionExpired',
              previous: 'suppressed',
              next: withStatus(current, 'open', at, cause, undefined),
              contentHash: stored.contentHash,
            };
          }
          return muting.id === current.suppression?.id
            ? { kind: 'unchanged' }
            : { kind: 'refresh', next: { ...current, suppression: refOf(muting) }, contentHash: stored.contentHash };
        default:
          return assertNever(current.status);
      }
    }
    default:
      return assertNever(observation);
  }
}

