/**
 * The fuzz suite (issue 16): real shapes mutated one value at a time. Properties: nothing crashes;
 * every error is clear (names the resource, rule or field; a bounded message); and a bad value in
 * one resource loses no verdict beside it and invents none — what depended on it is held back (not
 * judged), everything else is as before. `npm test` runs a small seeded number of cases;
 * `npm run fuzz` runs 100,000 (NSGWATCH_FUZZ_CASES).
 */
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNewSuppression } from '../../lib/api/suppressions.js';
import { parseEvents } from '../../lib/azure/events.js';
import { scopesForChange } from '../../lib/azure/scopes.js';
import { createFlowVerifier, type FlowQuery } from '../../lib/flow/verifier.js';
import { loadEstate, type EstateDocument } from '../../lib/estate/load.js';
import { evaluateEstate, type EvaluateOutput } from '../../lib/rules/support/evaluate.js';
import type { ResourceError } from '../../lib/verdicts/finding.js';
import { resourcePatternMatches, validateSuppression, wildcardMatch } from '../../lib/store/suppressions.js';
import {
  CORPUS,
  SAMPLES,
  applyMutation,
  describeMutation,
  jsonFiles,
  mutationOf,
  pathsOf,
  readJson,
  type Json,
  type Mutation,
} from './mutate.js';

const TOTAL = Number(process.env['NSGWATCH_FUZZ_CASES'] ?? 240);
const SEED = 16;
/** Each property's share of the cases; the estate ones cost most (a whole evaluation each). */
const SHARE = { estate: 0.3, rest: 0.15, events: 0.2, suppressions: 0.15, flow: 0.1, wildcard: 0.1 } as const;
const runs = (share: number) => Math.max(10, Math.floor(TOTAL * share));
const TIMEOUT = Math.max(60_000, TOTAL * 20);
const MAX_MESSAGE = 2_000;

function expectClear(errors: readonly ResourceError[], context: string): void {
  for (const e of errors) {
    expect(typeof e.message === 'string' && e.message.length > 0, `${context}: empty message`).toBe(true);
    expect(e.message.length, `${context}: unbounded message`).toBeLessThanOrEqual(MAX_MESSAGE);
    expect(typeof e.resourceId, context).toBe('string');
    expect(e.resourceId !== '' || (e.field ?? '') !== '' || (e.rule ?? '') !== '', `${context}: names nothing: ${e.message}`).toBe(true);
  }
}

const sampleFiles = jsonFiles(SAMPLES);
const sampleDocs = sampleFiles.map((f) => readJson(f));
const samplePaths = sampleDocs.map((d) => pathsOf(d));
const evaluate = (docs: readonly Json[], names: readonly string[]): { out: EvaluateOutput; estateErrors: ResourceError[] } => {
  const estate = loadEstate(docs.map((json, i): EstateDocument => ({ source: names[i] ?? `doc${i}`, json })));
  return { out: evaluateEstate(estate), estateErrors: estate.errors };
};
const baseline = evaluate(sampleDocs, sampleFiles).out;
const baselinePrints = new Set(baseline.findings.map((f) => f.fingerprint));
const IDENTITY_KEYS = new Set(['id', 'name', 'type']);

describe('fuzz: the sample estate, one value changed', () => {
  it('never crashes, reports clear errors, and loses or invents no verdict beside a bad value', () => {
    const arbitrary = fc.integer({ min: 0, max: sampleDocs.length - 1 }).chain((file) => mutationOf(samplePaths[file] ?? []).map((mutation) => ({ file, mutation })));
    let held = 0;
    fc.assert(
      fc.property(arbitrary, ({ file, mutation }) => {
        const docs = sampleDocs.map((d, i) => (i === file ? applyMutation(d, mutation) : d));
        const context = `${sampleFiles[file]}: ${describeMutation(mutation)}`;
        const { out, estateErrors } = evaluate(docs, sampleFiles);
        expectClear([...estateErrors, ...out.errors], context);
        expect(out.errors.filter((e) => /could not be evaluated/.test(e.message)), context).toEqual([]);
        // The oracle applies when the change made input invalid (and did not change an identity).
        const invalidated = estateErrors.length > 0 || out.errors.length > 0;
        if (!invalidated || mutation.kind !== 'replace' || mutation.path.some((p) => typeof p === 'string' && IDENTITY_KEYS.has(p))) return;
        held += 1;
        const judged = new Set(out.judged);
        const now = new Set(out.findings.map((f) => f.fingerprint));
        for (const f of baseline.findings) {
          if (now.has(f.fingerprint)) continue;
          expect(judged.has(f.resourceId.toLowerCase()), `${context}: ${f.ruleId} on ${f.resourceName} lost but its resource judged`).toBe(false);
        }
        for (const f of out.findings) {
          expect(baselinePrints.has(f.fingerprint), `${context}: ${f.ruleId} on ${f.resourceName} appeared`).toBe(true);
        }
      }),
      { seed: SEED, numRuns: runs(SHARE.estate) },
    );
    expect(held).toBeGreaterThan(0);
  }, TIMEOUT);
});

describe('fuzz: the corpus REST examples, one value changed', () => {
  const files = jsonFiles(resolve(CORPUS, 'rest-api-examples/2021-02-01'));
  const bodies = files.flatMap((file) => {
    const example = readJson(file) as { responses?: Record<string, { body?: Json }> };
    return Object.values(example.responses ?? {}).flatMap((r) => (r.body === undefined ? [] : [{ file, body: r.body }]));
  });
  it('never crashes and reports clear errors', () => {
    const arbitrary = fc.integer({ min: 0, max: bodies.length - 1 }).chain((i): fc.Arbitrary<{ i: number; mutation: Mutation | undefined }> => {
      const paths = pathsOf(bodies[i]?.body ?? null);
      return paths.length === 0 ? fc.constant({ i, mutation: undefined }) : mutationOf(paths).map((mutation) => ({ i, mutation }));
    });
    fc.assert(
      fc.property(arbitrary, ({ i, mutation }) => {
        const entry = bodies[i];
        if (!entry) return;
        const json = mutation ? applyMutation(entry.body, mutation) : entry.body;
        const context = `${entry.file}: ${mutation ? describeMutation(mutation) : 'as is'}`;
        const { out, estateErrors } = evaluate([json], [entry.file]);
        expectClear([...estateErrors, ...out.errors], context);
        expect(out.errors.filter((e) => /could not be evaluated/.test(e.message)), context).toEqual([]);
      }),
      { seed: SEED, numRuns: runs(SHARE.rest) },
    );
  }, TIMEOUT);
});

describe('fuzz: the Event Grid samples, one value changed', () => {
  const samples = jsonFiles(resolve(CORPUS, 'eventgrid')).map((file) => ({ file, json: readJson(file) }));
  it('parse to events or clear errors, never a crash', async () => {
    const arbitrary = fc.integer({ min: 0, max: samples.length - 1 }).chain((i) => mutationOf(pathsOf(samples[i]?.json ?? null)).map((mutation) => ({ i, mutation, batch: i % 2 === 0 })));
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ i, mutation, batch }) => {
        const sample = samples[i];
        if (!sample) return;
        const event = applyMutation(sample.json, mutation);
        const parsed = await parseEvents(batch ? [event] : event);
        const context = `${sample.file}: ${describeMutation(mutation)}`;
        if (!parsed.ok) {
          expect(parsed.error.message.length, context).toBeLessThanOrEqual(MAX_MESSAGE);
          return;
        }
        for (const error of parsed.errors) expect(error.message.length, context).toBeLessThanOrEqual(MAX_MESSAGE);
        for (const e of parsed.events) if (e.kind === 'change') scopesForChange(e.change);
      }),
      { seed: SEED, numRuns: runs(SHARE.events) },
    );
  }, TIMEOUT);
});

describe('fuzz: API bodies, one value changed', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const body: Json = { ruleId: 'NSG-002', resourcePattern: '/subscriptions/*/networkSecurityGroups/nsg-?', reason: 'jump host, CHG-1042', expiresAt: '2026-07-01T00:00:00Z' };
  const id = `/subscriptions/${'a'.repeat(36)}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/${'n'.repeat(80)}`;
  it('a suppression is accepted only when the store accepts it too, and its pattern matches quickly', () => {
    fc.assert(
      fc.property(mutationOf(pathsOf(body)), (mutation) => {
        const parsed = parseNewSuppression(applyMutation(body, mutation), now, 'carol@contoso.com');
        if (!parsed.ok) {
          expect(parsed.error.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
          return;
        }
        expect(validateSuppression(parsed.value, now), describeMutation(mutation)).toBeUndefined();
        expect(typeof resourcePatternMatches(parsed.value.resourcePattern, id)).toBe('boolean');
      }),
      { seed: SEED, numRuns: runs(SHARE.suppressions) },
    );
  });
});

describe('fuzz: flow queries, one value changed', () => {
  const estate = loadEstate(sampleDocs.map((json, i) => ({ source: sampleFiles[i] ?? '', json })));
  const verifier = createFlowVerifier(estate);
  const query: Json = { nsg: 'nsg-web', direction: 'inbound', protocol: 'tcp', source: '203.0.113.5', sourcePort: 50000, destination: '10.1.1.4', destinationPort: 443 };
  it('answer or explain, never crash', () => {
    fc.assert(
      fc.property(mutationOf(pathsOf(query)), (mutation) => {
        const answer = verifier.verify(applyMutation(query, mutation) as FlowQuery);
        if (!answer.ok) expect(answer.error.length, describeMutation(mutation)).toBeLessThanOrEqual(MAX_MESSAGE);
      }),
      { seed: SEED, numRuns: runs(SHARE.flow) },
    );
  });
});

describe('fuzz: suppression patterns', () => {
  const reference = (pattern: string, text: string): boolean =>
    new RegExp(`^${[...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c)).join('')}$`, 's').test(text);
  it('match exactly what the glob means', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '*', '?'), maxLength: 10 }), fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 12 }), (pattern, text) => {
        expect(wildcardMatch(pattern, text), `${pattern} ~ ${text}`).toBe(reference(pattern, text));
      }),
      { seed: SEED, numRuns: runs(SHARE.wildcard) },
    );
  });
});
