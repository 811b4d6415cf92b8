/** Meta-tests: the catalogue, its files, its fixtures and its metadata agree. */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../lib/rules/index.js';
import { isSeverity } from '../../lib/verdicts/finding.js';
import type { RuleFixtures } from './fixtures/build.js';

const RULE_DIR = resolve(process.cwd(), 'lib/rules');
const FIXTURE_DIR = resolve(process.cwd(), 'test/rules/fixtures');
const RULE_FILE = /^[A-Z]{3}-\d{3}\.ts$/;
const ids = RULES.map((r) => r.meta.id);

// DESIGN §4, the table of stable ids and severities.
const DESIGN: Record<string, string> = {
  'NSG-001': 'high',
  'NSG-002': 'high',
  'NSG-003': 'medium',
  'NSG-004': 'low',
  'NSG-005': 'high',
  'NSG-006': 'high',
  'NSG-007': 'critical',
  'NSG-010': 'medium',
  'NSG-011': 'low',
  'NSG-012': 'info',
  'NSG-013': 'low',
  'NSG-014': 'low',
  'NAT-001': 'high',
  'NAT-002': 'high',
  'BAS-001': 'high',
  'BAS-002': 'medium',
  'BAS-003': 'low',
  // Service-owned subnets (DESIGN §4, after the table): one rule per service.
  'SVC-001': 'high',
  'SVC-002': 'high',
  'SVC-003': 'high',
  'SVC-004': 'high',
  'SVC-005': 'medium',
  'SVC-006': 'high',
};

describe('the rule catalogue', () => {
  it('holds every rule of DESIGN §4 with its severity, and no other', () => {
    expect(Object.fromEntries(RULES.map((r) => [r.meta.id, r.meta.severity]))).toEqual(DESIGN);
  });

  it('has unique ids', () => {
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists exactly the rule files of lib/rules (index = directory)', () => {
    const files = readdirSync(RULE_DIR).filter((f) => RULE_FILE.test(f)).map((f) => f.replace(/\.ts$/, ''));
    expect([...files].sort()).toEqual([...ids].sort());
  });

  it.each(ids)('%s lives in a file named by its id', async (id) => {
    const module = (await import(`../../lib/rules/${id}.ts`)) as { rule: (typeof RULES)[number] };
    expect(module.rule.meta.id).toBe(id);
    expect(RULES).toContain(module.rule);
  });

  it.each(ids)('%s has fixtures with good and bad cases', async (id) => {
    expect(existsSync(resolve(FIXTURE_DIR, `${id}.ts`))).toBe(true);
    const { fixtures } = (await import(`./fixtures/${id}.ts`)) as { fixtures: RuleFixtures };
    expect(fixtures.good.length).toBeGreaterThan(0);
    expect(fixtures.bad.length).toBeGreaterThan(0);
  });

  it('has no fixtures for rules that do not exist', () => {
    const files = readdirSync(FIXTURE_DIR).filter((f) => RULE_FILE.test(f)).map((f) => f.replace(/\.ts$/, ''));
    expect([...files].sort()).toEqual([...ids].sort());
  });

  it.each(RULES.map((r) => [r.meta.id, r.meta] as const))('%s has complete metadata', (_id, meta) => {
    expect(isSeverity(meta.severity)).toBe(true);
    for (const text of [meta.title, meta.description, meta.rationale]) expect(text.trim().length).toBeGreaterThan(10);
    expect(meta.title).not.toMatch(/\.$/);
    expect(meta.remediation.az).toMatch(/^az network /);
    expect(meta.remediation.bicep.trim().length).toBeGreaterThan(20);
    expect(meta.references.length).toBeGreaterThan(0);
    for (const ref of meta.references) expect(ref).toMatch(/^(https:\/\/\S+|CIS Azure \d+\.\d+)$/);
  });

  it('cites the CIS controls DESIGN §4 names', () => {
    const cis = Object.fromEntries(RULES.map((r) => [r.meta.id, r.meta.references.filter((x) => x.startsWith('CIS'))]));
    expect(cis).toMatchObject({
      'NSG-001': ['CIS Azure 7.1'],
      'NSG-002': ['CIS Azure 7.2'],
      'NSG-003': ['CIS Azure 7.3'],
      'NSG-004': ['CIS Azure 7.4'],
      'NSG-010': ['CIS Azure 7.11'],
    });
  });

  it('writes the exposure rules as flow policies, in the users\' format', () => {
    const asPolicies = RULES.filter((r) => r.meta.policy).map((r) => r.meta.id);
    expect(asPolicies).toEqual(['NSG-001', 'NSG-002', 'NSG-003', 'NSG-004', 'NSG-005', 'NSG-006', 'NSG-007', 'NSG-014', 'BAS-001', 'SVC-001', 'SVC-002', 'SVC-003', 'SVC-004', 'SVC-005', 'SVC-006']);
    for (const rule of RULES) {
      if (!rule.meta.policy) continue;
      expect(rule.meta.policy.compiled.id).toBe(rule.meta.id);
      expect(rule.meta.policy.spec.severity).toBe(rule.meta.severity);
    }
  });
});
