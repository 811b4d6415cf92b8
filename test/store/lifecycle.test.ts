import { describe, expect, it } from 'vitest';
import { decide, type Observation, type StoredState } from '../../lib/store/lifecycle.js';
import { contentOf } from '../../lib/store/entity.js';
import type { FindingStatus, Suppression } from '../../lib/store/index.js';
import { makeFinding, nsgId } from './support.js';

const NOW = new Date('2025-05-01T10:00:00.000Z');
const finding = makeFinding('NSG-002', nsgId('a'));
const { content, contentHash } = contentOf(finding);
const changed = contentOf({ ...finding, message: 'different' });

const muting: Suppression = {
  id: 'sup-1',
  ruleId: 'NSG-002',
  resourcePattern: '*',
  reason: 'approved',
  expiresAt: '2025-05-02T00:00:00.000Z',
  createdBy: 'carol',
  createdAt: '2025-04-01T00:00:00.000Z',
};
const otherMuting: Suppression = { ...muting, id: 'sup-2', expiresAt: '2025-06-01T00:00:00.000Z' };
const expired: Suppression = { ...muting, id: 'sup-0', expiresAt: '2025-05-01T09:59:59.999Z' };

function stored(status: FindingStatus, suppressionId?: string): StoredState {
  return {
    finding: {
      ...content,
      status,
      firstSeen: '2025-04-01T00:00:00.000Z',
      lastSeen: '2025-04-30T00:00:00.000Z',
      ...(status === 'resolved' ? { resolvedAt: '2025-04-30T00:00:00.000Z' } : {}),
      ...(suppressionId ? { suppression: { id: suppressionId, reason: 'approved', expiresAt: muting.expiresAt, by: 'carol' } } : {}),
    },
    contentHash,
    version: 3,
    writeNonce: 'n',
  };
}

const present: Observation = { kind: 'present', content, contentHash };
const presentChanged: Observation = { kind: 'present', content: changed.content, contentHash: changed.contentHash };
const absent: Observation = { kind: 'absent' };
const recheck: Observation = { kind: 'recheck' };

type Want = 'unchanged' | 'touch' | 'refresh' | `→ ${string}`;
const cases: [string, StoredState | undefined, Observation, Suppression[], Want, FindingStatus?, string?][] = [
  ['new finding', undefined, present, [], '→ opened', 'open'],
  ['new finding under a suppression', undefined, present, [muting], '→ suppressed', 'suppressed', 'sup-1'],
  ['new finding, suppression expired', undefined, present, [expired], '→ opened', 'open'],
  ['open, still there', stored('open'), present, [], 'touch'],
  ['open, still there, new message', stored('open'), presentChanged, [], 'refresh', 'open'],
  ['open, gone', stored('open'), absent, [], '→ resolved', 'resolved'],
  ['open, now suppressed', stored('open'), present, [muting], '→ suppressed', 'suppressed', 'sup-1'],
  ['resolved, back', stored('resolved'), present, [], '→ reopened', 'open'],
  ['resolved, back under a suppression', stored('resolved'), present, [muting], '→ suppressed', 'suppressed', 'sup-1'],
  ['resolved, still gone', stored('resolved'), absent, [], 'unchanged'],
  ['suppressed, still there', stored('suppressed', 'sup-1'), present, [muting], 'touch'],
  ['suppressed, suppression expired', stored('suppressed', 'sup-1'), present, [expired], '→ suppressionExpired', 'open'],
  ['suppressed, another suppression now applies', stored('suppressed', 'sup-1'), present, [otherMuting], 'refresh', 'suppressed', 'sup-2'],
  ['suppressed, gone', stored('suppressed', 'sup-1'), absent, [muting], '→ resolved', 'resolved'],
  ['never seen, absent', undefined, absent, [], 'unchanged'],
  ['recheck: open, suppression added', stored('open'), recheck, [muting], '→ suppressed', 'suppressed', 'sup-1'],
  ['recheck: open, nothing applies', stored('open'), recheck, [], 'unchanged'],
  ['recheck: suppressed, suppression removed', stored('suppressed', 'sup-1'), recheck, [], '→ suppressionExpired', 'open'],
  ['recheck: suppressed, still applies', stored('suppressed', 'sup-1'), recheck, [muting], 'unchanged'],
  ['recheck: resolved stays resolved', stored('resolved'), recheck, [muting], 'unchanged'],
];

describe('decide', () => {
  it.each(cases)('%s', (_name, state, observation, suppressions, want, status, suppressionId) => {
    const decision = decide(state, observation, suppressions, NOW, { changedBy: 'alice' });
    const got: Want = decision.kind === 'transition' ? `→ ${decision.transition}` : decision.kind;
    expect(got).toBe(want);
    if (decision.kind === 'transition' || decision.kind === 'refresh') {
      expect(decision.next.status).toBe(status);
      expect(decision.next.firstSeen).toBe(state?.finding.firstSeen ?? NOW.toISOString());
      expect(decision.next.resolvedAt).toBe(status === 'resolved' ? NOW.toISOString() : undefined);
      expect(decision.next.suppression?.id).toBe(suppressionId);
    }
    if (decision.kind === 'transition') {
      expect(decision.previous).toBe(state?.finding.status);
      expect(decision.next.changedBy).toBe('alice');
    }
  });
});
