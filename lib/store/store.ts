import type { FindingsStore, FindingsStoreOptions, Transition } from './types.js';

/** Table Storage failed while applying an evaluation; `committed` lists the transitions already written. */
export class StoreWriteError extends Error {
  readonly committed: Transition[];
  constructor(message: string, committed: Transition[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreWriteError';
    this.committed = committed;
  }
}

export function createFindingsStore(options: FindingsStoreOptions): FindingsStore {
  void options;
  throw new Error('createFindingsStore: not implemented yet');
}
