/**
 * One Azurite for the tests of a file (or a describe block): started before them on a free
 * loopback port, in memory, with telemetry off (lib/local/azurite.ts), stopped after them.
 */
import { afterAll, beforeAll } from 'vitest';
import { startAzurite, type Azurite, type AzuriteOptions } from '../../lib/local/azurite.js';

/** Registers the hooks; the returned handle reads the running Azurite inside tests. */
export function useAzurite(options: AzuriteOptions = {}): Azurite {
  let running: Azurite | undefined;
  beforeAll(async () => {
    running = await startAzurite(options);
  });
  afterAll(async () => {
    await running?.stop();
  });
  const current = (): Azurite => {
    if (!running) throw new Error('Azurite is not running: use the handle inside tests, not at collection time');
    return running;
  };
  return {
    get blobUrl() {
      return current().blobUrl;
    },
    get queueUrl() {
      return current().queueUrl;
    },
    get tableUrl() {
      return current().tableUrl;
    },
    get connectionString() {
      return current().connectionString;
    },
    stop: () => current().stop(),
  };
}
