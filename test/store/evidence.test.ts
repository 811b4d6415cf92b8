import { describe, expect, it } from 'vitest';
import { useAzurite } from '../support/azurite.js';
import { createFindingsStore } from '../../lib/store/index.js';
import { EVIDENCE_CHARS, fitEvidence, fitText, splitIntoParts } from '../../lib/store/evidence.js';
import type { Evidence } from '../../lib/verdicts/finding.js';
import { evaluation, freshTables, makeFinding, nsgId } from './support.js';

const witness = {
  direction: 'Inbound' as const,
  protocol: 'Tcp',
  source: '198.51.100.1',
  sourcePort: 40000,
  destination: '10.1.0.4',
  destinationPort: 3389,
};
const decidedBy = [{ nsg: nsgId('n'), nsgName: 'n', rule: 'rdp', priority: 100, access: 'Allow' as const }];
const nics = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic-${i}`);

describe('fitEvidence', () => {
  it('keeps evidence that fits as it is', () => {
    const evidence: Evidence = { witness, decidedBy, attachments: nics(3) };
    expect(fitEvidence(evidence)).toEqual({ json: JSON.stringify(evidence) });
  });

  const cases: { name: string; evidence: Evidence; budget: number; kept: string[]; droppedKeys: string[]; someItemsDropped: boolean }[] = [
    {
      name: 'a long attachment list is cut, small keys stay whole',
      evidence: { witness, decidedBy, attachments: nics(500), assumptions: ['default VirtualNetwork ranges'] },
      budget: 10_000,
      kept: ['witness', 'decidedBy', 'assumptions', 'attachments'],
      droppedKeys: [],
      someItemsDropped: true,
    },
    {
      name: 'a huge non-array value is dropped whole',
      evidence: { witness, decidedBy, dump: 'z'.repeat(50_000), unresolvedTags: ['AzureCloud'] },
      budget: 10_000,
      kept: ['witness', 'decidedBy', 'unresolvedTags'],
      droppedKeys: ['dump'],
      someItemsDropped: false,
    },
    {
      name: 'essentials too big: the witness stays, decidedBy is cut',
      evidence: { witness, decidedBy: Array(2_000).fill(decidedBy[0]), attachments: nics(10) },
      budget: 5_000,
      kept: ['witness', 'decidedBy'],
      droppedKeys: ['attachments'],
      someItemsDropped: true,
    },
  ];
  it.each(cases)('$name', ({ evidence, budget, kept, droppedKeys, someItemsDropped }) => {
    const fitted = fitEvidence(evidence, budget);
    expect(fitted.json.length).toBeLessThanOrEqual(budget);
    const parsed = JSON.parse(fitted.json) as Evidence;
    expect(Object.keys(parsed).sort()).toEqual([...kept].sort());
    expect(parsed.witness).toEqual(witness);
    expect(fitted.trimmed?.droppedKeys).toEqual(droppedKeys);
    expect((fitted.trimmed?.droppedItems ?? 0) > 0).toBe(someItemsDropped);
    expect(fitted.trimmed?.originalLength).toBe(JSON.stringify(evidence).length);
  });
});

describe('splitIntoParts and fitText', () => {
  it('never splits a surrogate pair', () => {
    const text = 'a' + '😀'.repeat(10);
    const parts = splitIntoParts(text, 4);
    expect(parts.join('')).toBe(text);
    for (const part of parts) expect(part).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
  });
  it('cuts long text and says so', () => {
    const cut = fitText('m'.repeat(10_000), 1_000);
    expect(cut.length).toBeLessThanOrEqual(1_000);
    expect(cut).toMatch(/… \[\d+ characters cut\]$/);
  });
});

describe('evidence against Table Storage limits', () => {
  const azurite = useAzurite();
  const store = () =>
    createFindingsStore({
      connection: { kind: 'connectionString', connectionString: azurite.connectionString },
      tables: freshTables('evidence'),
      retry: { maxRetries: 0 },
    });

  it('stores evidence larger than one property (64 KiB) whole, over several properties', async () => {
    const s = store();
    const evidence: Evidence = { witness, decidedBy, attachments: nics(1_000), note: '日本語'.repeat(5_000) };
    expect(JSON.stringify(evidence).length).toBeGreaterThan(100_000);
    const [t] = await s.applyEvaluation(evaluation({ read: [nsgId('big')], findings: [makeFinding('NSG-001', nsgId('big'), { evidence })] }));
    const got = await s.getFinding(t!.finding.id);
    expect(got?.finding.evidence).toEqual(evidence);
    expect(got?.finding.evidenceTrimmed).toBeUndefined();
  });

  it('trims evidence over the entity budget: the write succeeds, the finding says what was dropped', async () => {
    const s = store();
    const evidence: Evidence = { witness, decidedBy, attachments: nics(5_000), blob: '😀'.repeat(200_000) };
    expect(JSON.stringify(evidence).length).toBeGreaterThan(EVIDENCE_CHARS);
    const finding = makeFinding('NSG-001', nsgId('huge'), { evidence, message: 'x'.repeat(100_000) });
    const [t] = await s.applyEvaluation(evaluation({ read: [nsgId('huge')], findings: [finding] }));
    expect(t?.kind).toBe('opened');
    const got = (await s.getFinding(t!.finding.id))!.finding;
    expect(got.evidence.witness).toEqual(witness);
    expect(got.evidence.decidedBy).toEqual(decidedBy);
    expect(got.evidenceTrimmed?.droppedKeys).toEqual(['blob']);
    expect(got.evidenceTrimmed!.droppedItems).toBeGreaterThan(0);
    expect((got.evidence.attachments as string[]).length + got.evidenceTrimmed!.droppedItems).toBe(5_000);
    expect(got.message.length).toBeLessThan(10_000);

    // The same oversized finding next time is unchanged (no rewrite, no transition); a smaller one clears the mark.
    expect(await s.applyEvaluation(evaluation({ read: [nsgId('huge')], findings: [finding] }))).toEqual([]);
    await s.applyEvaluation(evaluation({ read: [nsgId('huge')], findings: [makeFinding('NSG-001', nsgId('huge'))] }));
    expect((await s.getFinding(t!.finding.id))!.finding.evidenceTrimmed).toBeUndefined();
  });
});
