/**
 * ARM as the evaluation pipeline's estate source: the watched subscriptions' inventories read
 * through the ARM reader (event or sweep lane of the read budget), and service tags from the
 * Service Tag Discovery API for the configured location.
 */
import { SETTINGS } from '../config/names.js';
import type { EstateSource, InventoryRead, ReadFailure } from '../pipeline/types.js';
import { defaultArmReader, type ArmReader, type ReadFailure as ArmReadFailure, type ReadLane } from './arm.js';
import { forEachLimited } from './arm-rest.js';
import { field } from '../estate/fields.js';
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
      const lane = readOptions?.priority ?? 'sweep';
      const inventory = await reader().readInventory(subscriptionId, { lane });
      const admin = await adminRulesOf(reader(), listedNetworks(inventory.resources), lane);
      return {
        documents: [{ source: `arm:/subscriptions/${subscriptionId}`, json: [...inventory.resources, ...admin.documents] }],
        failures: [...inventory.failures, ...admin.failures].map(failureOf),
        reads: inventory.reads + admin.reads,
        perNetworkReads: admin.reads,
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
      async readNetworkDocuments(virtualNetworkIds) {
        const admin = await adminRulesOf(reader(), virtualNetworkIds, 'event');
        return { documents: admin.documents, failures: admin.failures.map(failureOf), reads: admin.reads };
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

/**
 * The effective security admin rules of every virtual network read (DESIGN §3 "Composition"): one
 * list per network, a few at a time, on the same lane and budget. A list that fails leaves the
 * evaluation failed (its networks' verdicts cannot be known), never judged without it.
 */
async function adminRulesOf(reader: ArmReader, networks: readonly string[], lane: ReadLane): Promise<{ documents: unknown[]; failures: ArmReadFailure[]; reads: number }> {
  const documents: unknown[] = [];
  const failures: ArmReadFailure[] = [];
  let reads = 0;
  await forEachLimited(networks, ADMIN_READ_CONCURRENCY, async (id) => {
    const read = await reader.readEffectiveAdminRules(id, { lane });
    reads += read.reads;
    if (read.status === 'read') documents.push(read.document);
    else if (read.status === 'failed') failures.push(read.failure);
  });
  return { documents, failures, reads };
}

const ADMIN_READ_CONCURRENCY = 8;

/** The virtual networks an inventory lists. */
function listedNetworks(resources: readonly unknown[]): string[] {
  return resources.flatMap((r) => {
    const type = field(r, 'type');
    const id = field(r, 'id');
    return typeof type === 'string' && type.toLowerCase() === 'microsoft.network/virtualnetworks' && typeof id === 'string' ? [id] : [];
  });
}
