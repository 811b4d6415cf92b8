/**
 * The scan's heap keeper in the process a scan runs in (`--expose-gc`, as bin/nsgwatch.js starts
 * it): a full collection between two rules once the heap has grown by half since the last one, none
 * before, one when asked; without `gc` exposed it does nothing.
 */
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/built-cli.js';

beforeAll(() => ensureBuilt('dist/lib/cli/heap.js', ['lib']), 120_000);

const keeper = pathToFileURL(resolve(import.meta.dirname, '../../dist/lib/cli/heap.js')).href;

/** Runs the keeper through a heap that grows in steps, counting the collections it asks for. */
function run(flags: string[]): { calls: number[]; exposed: boolean } {
  const script = `
    const exposed = typeof globalThis.gc === 'function';
    let calls = 0;
    if (exposed) { const real = globalThis.gc; globalThis.gc = (...a) => { calls += 1; return real(...a); }; }
    const { createHeapKeeper } = await import(${JSON.stringify(keeper)});
    const heap = createHeapKeeper();
    const held = [];
    const grow = (mib) => { for (let i = 0; i < mib; i++) held.push(new Array(2 ** 17).fill(i + 0.5)); };
    const seen = [];
    heap.step(); seen.push(calls);            // a small heap: not worth a collection
    grow(120); heap.step(); seen.push(calls); // grown far past the last collection: collected
    grow(10); heap.step(); seen.push(calls);  // grown by less than half since: not collected
    grow(90); heap.step(); seen.push(calls);  // by more than half: collected
    heap.collect(); seen.push(calls);         // asked: collected
    process.stdout.write(JSON.stringify({ calls: seen, exposed, held: held.length }));
  `;
  const out = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as { calls: number[]; exposed: boolean };
}

describe('the scan heap keeper', () => {
  it('collects once the heap has grown by half since the last collection, and when asked', () => {
    expect(run(['--expose-gc'])).toMatchObject({ exposed: true, calls: [0, 1, 1, 2, 3] });
  });

  it('does nothing where gc is not exposed', () => {
    expect(run([])).toMatchObject({ exposed: false, calls: [0, 0, 0, 0, 0] });
  });
});
