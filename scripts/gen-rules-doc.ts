/** `npm run docs`: writes docs/rules.md from the rules' metadata. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRulesDoc } from '../lib/report/rules-doc.js';
import { RULES } from '../lib/rules/index.js';

const target = resolve(dirname(fileURLToPath(import.meta.url)), '../docs/rules.md');
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, renderRulesDoc(RULES));
process.stdout.write(`wrote ${target} (${RULES.length} rules)\n`);
