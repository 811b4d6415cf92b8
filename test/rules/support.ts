/** Shared by the rule tests: loading fixture estates and checking findings against the engine. */
import { expect } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import type { Estate } from '../../lib/estate/model.js';
import { evaluateComposed, type Flow, type FlowProtocol } from '../../lib/nsg/index.js';
import { createEstateView } from '../../lib/verdicts/view.js';
import { fingerprint, isSeverity, type Finding, type WitnessFlow } from '../../lib/verdicts/finding.js';
import { normalizeId } from '../../lib/arm/index.js';
import type { Json } from './fixtures/build.js';

export function estateOf(resources: readonly Json[], source = 'fixture'): Estate {
  const estate = loadEstate([{ source, json: resources }]);
  expect(estate.errors, 'the fixture itself is valid input').toEqual([]);
  return estate;
}

function flowOf(w: WitnessFlow): Flow {
  return {
    direction: w.direction,
    protocol: w.protocol as FlowProtocol,
    sourceIp: w.source,
    destinationIp: w.destination,
    ...(w.sourcePort === null ? {} : { sourcePort: w.sourcePort }),
    ...(w.destinationPort === null ? {} : { destinationPort: w.destinationPort }),
  };
}

/**
 * What every finding must be: stable fingerprint, one-line message, JSON evidence, a filled
 * remediation; and, when it carries a witness, the engine's point decision on that flow at the
 * first affected attachment must agree (an Allow rule lets it through, a Deny rule blocks it).
 */
export function checkFinding(finding: Finding, estate: Estate): void {
  expect(finding.fingerprint).toBe(fingerprint(finding.ruleId, finding.resourceId, finding.scope));
  expect(isSeverity(finding.severity)).toBe(true);
  expect(finding.message).not.toMatch(/\n/);
  expect(finding.message.length).toBeGreaterThan(20);
  expect(JSON.parse(JSON.stringify(finding.evidence))).toEqual(finding.evidence);
  expect(finding.remediation.az).toMatch(/^az network /);
  const evidence = finding.evidence;
  const blamed = evidence['rule'] as { nsg: string; name: string; access: 'Allow' | 'Deny' } | undefined;
  if (!evidence.witness || !blamed) return;
  const attachment = evidence.attachments?.[0];
  expect(attachment, 'a witnessed finding names the attachment it was seen at').toBeDefined();
  const view = createEstateView(estate);
  const point = view.points().find((p) => normalizeId(p.point.id) === normalizeId(attachment ?? ''));
  expect(point, `attachment ${attachment ?? ''} is an attachment point of the estate`).toBeDefined();
  if (!point) return;
  const decision = evaluateComposed(point.layers, flowOf(evidence.witness));
  const deciders = decision.decidedBy.map((r) => `${normalizeId(r.nsg)}|${r.rule}`);
  expect(decision.access, `the witness ${JSON.stringify(evidence.witness)} is ${blamed.access === 'Allow' ? 'allowed' : 'denied'}`).toBe(blamed.access);
  expect(deciders).toContain(`${normalizeId(blamed.nsg)}|${blamed.name}`);
}
