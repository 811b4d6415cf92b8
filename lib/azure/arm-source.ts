/**
 * ARM as the evaluation pipeline's estate source: the watched subscriptions' inventories read
 * through the ARM reader (event or sweep lane of the read budget), and service tags from the
 * Service Tag Discovery API for the configured location.
 */
import { SETTINGS } from '../config/names.js';
import type { EstateSource, InventoryRead, ReadFailure } from '../pipeline/types.js';
import { defaultArmReader, type ArmReader, type ReadFailure as ArmReadFailure } from './arm.js';
import { assertNever } from '../nsg/index.js';

export interface ArmSourceOptions {
  /** Default: the process's reader (DefaultAzureCredential, process-wide read budget). */
  reader?: ArmReader;
  /** Default: NSGWATCH_SUBSCRIPTION_IDS (comma-separated). */
  subscriptions?: readonly string[];
  /** Default: NSGWATCH_SERVICE_TAGS_LOCATION; without one, no service tag data is read. */
  serviceTagsLocation?: string;
}

export function armSource(options: ArmSourceOptions = {}): EstateSource {
  const reader = (): ArmReader => options.reader ?? defaultArmReader();
  const subscriptions =
    options.subscriptions ??
    (process.env[SETTINGS.watchedSubscriptions] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const location = options.serviceTagsLocation ?? process.env[SETTINGS.serviceTagsLocation];

  return {
    kind: 'arm',
    subscriptions: () => Promise.resolve([...subscriptions]),
    async readInventory(subscriptionId, readOptions): Promise<InventoryRead> {
      const inventory = await reader().readInventory(subscriptionId, { lane: readOptions?.priority ?? 'sweep' });
      return {
        documents: [{ source: `arm:/subscriptions/${subscriptionId}`, json: inventory.resources }],
        failures: inventory.failures.map(failureOf),
        reads: inventory.reads,
      };
    },
    // Targeted reads serve events: they draw on the event lane of the read budget.
    targeted: {
      async readResources(ids, readOptions) {
        const read = await reader().readScopeResources(ids, { lane: 'event', maxDepth: readOptions.depth, maxResources: readOptions.maxResources });
        const failures = read.failures.filter((f) => f.cause !== 'scope-limit');
        return {
          resources: read.resources,
          deleted: read.deleted,
          failures: failures.map(failureOf),
          limited: failures.length < read.failures.length,
          reads: read.reads,
        };
      },
      async readLearnedRoutes(resources) {
        const read = await reader().readLearnedRoutes(resources, { lane: 'event' });
        return { resources: read.resources, deleted: [], failures: read.failure ? [failureOf(read.failure)] : [], limited: false, reads: read.reads };
      },
      async listResources(subscriptionId, type) {
        const read = await reader().listResources(subscriptionId, type, { lane: 'event' });
        return { resources: read.resources, deleted: [], failures: read.failure ? [failureOf(read.failure)] : [], limited: false, reads: read.reads };
      },
    },
    async serviceTags(subscriptionId) {
      if (!location) return undefined;
      const read = await reader().readServiceTags(subscriptionId, location);
      switch (read.status) {
        case 'read':
        case 'cached':
        case 'stale':
          return read.data.response;
        case 'failed':
          // No data at all: the engine treats every tag as unresolved and says so (DESIGN §3).
          return undefined;
        default:
          return assertNever(read);
      }
    },
  };
}

function failureOf(failure: ArmReadFailure): ReadFailure {
  return { target: failure.target, reason: failure.message };
}

