/** One harness for every rule: its good fixtures produce none of its findings, its bad ones the expected ones. */
import { describe, expect, it } from 'vitest';
import { RULES } from '../../lib/rules/index.js';
import { evaluateEstate } from '../../lib/rules/support/evaluate.js';
import type { RuleFixtures } from './fixtures/build.js';
import { checkFinding, estateOf } from './support.js';

const fixtures = new Map<string, RuleFixtures>();
for (const rule of RULES) {
  const module = (await import(`./fixtures/${rule.meta.id}.ts`)) as { fixtures: RuleFixtures };
  fixtures.set(rule.meta.id, module.fixtures);
}

describe.each(RULES.map((rule) => [rule.meta.id, rule] as const))('%s', (id, rule) => {
  const cases = fixtures.get(id) ?? { good: [], bad: [] };

  it.each(cases.good.map((c) => [c.name, c] as const))('good: %s', (_name, c) => {
    const estate = estateOf(c.resources);
    const out = evaluateEstate(estate, { rules: [rule] });
    expect(out.errors).toEqual([]);
    expect(out.findings.map((f) => f.message)).toEqual([]);
  });

  it.each(cases.bad.map((c) => [c.name, c] as const))('bad: %s', (_name, c) => {
    const estate = estateOf(c.resources);
    const out = evaluateEstate(estate, { rules: [rule] });
    expect(out.errors).toEqual([]);
    expect(out.findings.length).toBeGreaterThan(0);
    for (const finding of out.findings) {
      expect(finding.ruleId).toBe(id);
      expect(finding.severity).toBe(c.severity ?? rule.meta.severity);
      checkFinding(finding, estate);
    }
    if (c.expect) {
      const got = out.findings.map((f) => ({ resource: f.resourceName, scope: f.scope }));
      expect(got).toEqual(expect.arrayContaining(c.expect.map((e) => ({ resource: e.resource, scope: e.scope ?? expect.any(String) }))));
      expect(got).toHaveLength(c.expect.length);
      for (const e of c.expect) {
        if (!e.says) continue;
        const finding = out.findings.find((f) => f.resourceName === e.resource && (e.scope === undefined || f.scope === e.scope));
        expect(finding?.message).toMatch(e.says);
      }
    }
  });
});
