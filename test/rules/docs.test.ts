/** docs/rules.md is generated from the rules' metadata; this fails when it is stale. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRulesDoc } from '../../lib/report/rules-doc.js';
import { RULES } from '../../lib/rules/index.js';

describe('docs/rules.md', () => {
  it('matches the catalogue (regenerate with `npm run docs`)', () => {
    const onDisk = readFileSync(resolve(process.cwd(), 'docs/rules.md'), 'utf8');
    expect(onDisk === renderRulesDoc(RULES), 'docs/rules.md is stale: run `npm run docs`').toBe(true);
  });

  it('has a section per rule with its definition, fixes and references', () => {
    const doc = renderRulesDoc(RULES);
    for (const rule of RULES) {
      const section = doc.split(`\n## ${rule.meta.id}\n`)[1]?.split('\n## ')[0] ?? '';
      expect(section).toContain(rule.meta.description);
      expect(section).toContain(rule.meta.remediation.az);
      expect(section.includes('**Definition**')).toBe(rule.meta.policy !== undefined);
    }
  });
});
