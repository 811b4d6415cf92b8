/**
 * The layers, kept by a machine (STYLE.md "Layers you can see and a machine keeps"): bottom up,
 * ARM ids and resource types → the engine → the estate model → verdicts, policies and rules →
 * the Azure adapters, store, alerts and pipeline → API, dashboard, local mode, CLI, functions.
 * An import never points up; the engine imports nothing but itself and the ARM module; the pure
 * layers touch no Node module, no Azure SDK and no clock; nothing imports the CLI.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each top-level part's layer; a part may import its own layer and those below. */
const LAYER: Readonly<Record<string, number>> = {
  'lib/arm': 0,
  'lib/config': 0,
  'lib/nsg': 1,
  'lib/estate': 2,
  'lib/verdicts': 3,
  'lib/policy': 4,
  'lib/rules': 5,
  'lib/flow': 5,
  'lib/report': 6,
  'lib/azure': 7,
  'lib/store': 7,
  'lib/alerts': 7,
  'lib/pipeline': 7,
  'lib/local': 7,
  'lib/api': 8,
  'lib/dashboard': 8,
  'lib/runtime': 8,
  'lib/dev': 8,
  'lib/cli': 9,
  functions: 9,
};

/** No I/O, no clock, no Azure SDK (DESIGN §2): they can be tested exhaustively and run anywhere. */
const PURE = ['lib/arm', 'lib/nsg', 'lib/estate', 'lib/verdicts', 'lib/policy', 'lib/rules', 'lib/flow'];

/** The engine's own allowance: itself and the ARM module. */
const ENGINE_MAY_IMPORT = new Set(['lib/nsg', 'lib/arm']);

const CLOCK = /\bDate\.now\(|\bnew Date\(\s*\)|\bperformance\.now\(|\bsetTimeout\(|\bsetInterval\(|\bMath\.random\(/;

export interface SourceFile {
  /** Repo-relative path, `/`-separated. */
  path: string;
  text: string;
}

interface ImportEdge {
  from: string;
  specifier: string;
  /** Repo-relative target for a relative specifier. */
  target?: string;
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: SourceFile): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const match of file.text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2];
    if (specifier === undefined) continue;
    const target = specifier.startsWith('.') ? normalize(join(dirname(file.path), specifier)).split('\\').join('/') : undefined;
    edges.push({ from: file.path, specifier, ...(target !== undefined ? { target } : {}) });
  }
  return edges;
}

function partOf(path: string): string | undefined {
  const [top, second] = path.split('/');
  if (top === 'functions') return 'functions';
  return top === 'lib' && second !== undefined ? `lib/${second}` : undefined;
}

/** Every way the files break the layers, one line each. */
export function layerViolations(files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const part = partOf(file.path);
    if (part === undefined) continue;
    const layer = LAYER[part];
    if (layer === undefined) {
      problems.push(`${file.path}: ${part} has no layer (add it to LAYER and to the README's map)`);
      continue;
    }
    const pure = PURE.includes(part);
    if (pure && CLOCK.test(file.text)) problems.push(`${file.path}: a pure layer reads the clock or randomness`);
    for (const edge of importsOf(file)) {
      if (edge.target === undefined) {
        if (pure && (edge.specifier.startsWith('node:') || edge.specifier.startsWith('@azure/'))) {
          problems.push(`${file.path}: pure layer ${part} imports ${edge.specifier}`);
        }
        continue;
      }
      const targetPart = partOf(edge.target);
      if (targetPart === undefined || targetPart === part) continue;
      if (targetPart === 'lib/cli') problems.push(`${file.path}: imports the CLI (${edge.specifier}); the CLI is a leaf`);
      if (part === 'lib/nsg' && !ENGINE_MAY_IMPORT.has(targetPart)) problems.push(`${file.path}: the engine imports ${targetPart}`);
      const targetLayer = LAYER[targetPart];
      if (targetLayer !== undefined && targetLayer > layer) {
        problems.push(`${file.path}: ${part} (layer ${layer}) imports ${targetPart} (layer ${targetLayer}) upward`);
      }
    }
  }
  return problems;
}

function sourcesUnder(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) {
        if (name !== 'public') walk(full);
      } else if (name.endsWith('.ts')) {
        out.push({ path: relative(ROOT, full).split('\\').join('/'), text: readFileSync(full, 'utf8') });
      }
    }
  };
  walk(join(ROOT, dir));
  return out;
}

const SOURCES = [...sourcesUnder('lib'), ...sourcesUnder('functions')];

describe('layers', () => {
  it('reads the project: every part of lib and functions', () => {
    expect(SOURCES.length).toBeGreaterThan(100);
    const parts = new Set(SOURCES.map((f) => partOf(f.path)));
    for (const part of Object.keys(LAYER)) expect(parts, part).toContain(part);
  });

  it('no import points up, the engine stays alone, the pure layers stay pure, nothing imports the CLI', () => {
    expect(layerViolations(SOURCES)).toEqual([]);
  });

  it.each([
    ['an upward import', { path: 'lib/nsg/planted.ts', text: "import { RULES } from '../rules/index.js';" }, /engine imports lib\/rules|upward/],
    ['an import of the CLI', { path: 'lib/api/planted.ts', text: "import { flowCommand } from '../cli/flow.js';" }, /imports the CLI/],
    ['a dynamic upward import', { path: 'lib/estate/planted.ts', text: "const m = await import('../store/index.js');" }, /upward/],
    ['the Azure SDK in a pure layer', { path: 'lib/rules/planted.ts', text: "import { TableClient } from '@azure/data-tables';" }, /pure layer/],
    ['Node I/O in a pure layer', { path: 'lib/policy/planted.ts', text: "import { readFile } from 'node:fs/promises';" }, /pure layer/],
    ['the clock in a pure layer', { path: 'lib/verdicts/planted.ts', text: 'export const now = () => Date.now();' }, /clock/],
    ['a type-only upward import', { path: 'lib/arm/planted.ts', text: "import type { Estate } from '../estate/model.js';" }, /upward/],
    ['a part with no layer', { path: 'lib/misc/planted.ts', text: '' }, /has no layer/],
  ])('fails on %s', (_what, planted, message) => {
    const problems = layerViolations([...SOURCES, planted]);
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem.startsWith(`${planted.path}:`)).toBe(true);
    expect(problems.some((p) => message.test(p)), problems.join('\n')).toBe(true);
  });

  it("the README's development map names every part", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const part of Object.keys(LAYER)) expect(readme, part).toContain(`${part}/`);
  });
});
