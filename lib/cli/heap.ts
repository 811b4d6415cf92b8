/**
 * A scan's heap between its phases. V8 sizes the old generation by how fast it fills: after the
 * collection at the start of the rules (the input parsed, the estate built) it lets the heap grow
 * to some three times what that collection kept before collecting again, and the rules' analyses
 * turn over that much and more, so the heap peaked at about twice what is live. Collecting
 * between two rules once the heap has grown by half since the last collection, and once more
 * when the rules are done (their memos are garbage then, and the report is written next), keeps
 * the peak near what is live, for a few tens of milliseconds a collection. It needs `gc`, which
 * bin/nsgwatch.js exposes in the process a scan runs in (`--expose-gc`); without it, nothing.
 */
const GROWTH = 1.5;
/** Below this much heap a collection is not worth its pause. */
const FLOOR_BYTES = 64 * 2 ** 20;

export interface HeapKeeper {
  /** Between two rules: a full collection once the heap has grown by half since the last one. */
  step(): void;
  /** A full collection now. */
  collect(): void;
}

export function createHeapKeeper(): HeapKeeper {
  const gc = (globalThis as { gc?: () => void }).gc;
  let kept = process.memoryUsage().heapUsed;
  const collect = (): void => {
    if (typeof gc !== 'function') return;
    gc();
    kept = process.memoryUsage().heapUsed;
  };
  return {
    step() {
      if (typeof gc !== 'function') return;
      const used = process.memoryUsage().heapUsed;
      if (used >= FLOOR_BYTES && used >= kept * GROWTH) collect();
    },
    collect,
  };
}
