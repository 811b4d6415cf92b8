/**
 * What the last evaluation saw guarding each subnet and NIC: the NSG on the resource itself.
 *
 * A subnet or NIC that drops its NSG changes that NSG's verdicts, but no event names the NSG.
 * Remembering each resource's NSG lets the evaluation of the subnet or NIC judge the NSG it had
 * before, instead of every NSG attached to nothing. A sweep records every subnet and NIC of a
 * subscription and marks the record complete; after that, a resource without a row is one the
 * sweep did not see (new), and before it the evaluation falls back to judging all unattached NSGs.
 *
 * Rows live in the findings table, in a partition of their own beside the subscription's
 * (`<subscription>!guards`): a sweep writes thousands of them at once, and kept out of the
 * partition the findings, history and outbox rows fill, those writes do not slow as it grows:
 *
 *   `g!<vnet>!<subnet>`   a subnet (so one range holds every subnet of a virtual network)
 *   `g!<nic>!`            a NIC
 *   `m!guards`            the marker a complete sweep leaves
 *
 * with `nsg` = the NSG's normalised id ('' for none) and, for a NIC, `asgs` = its ASG memberships
 * with their addresses ('' for none).
 */
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { kindOfId, nameOfId, normalizeId, parentId } from '../arm/index.js';
import { encodeKeyPart, partitionOfResource, prefixRange, resourceKeyPart } from './keys.js';
import { chunk, entityOrNone, mapBounded, statusOf, TRANSACTION_LIMIT } from './table.js';
import type { GuardQuery, GuardRecall, GuardRecord } from './types.js';

const GUARD_PREFIX = 'g!';
const MARKER_ROW = 'm!guards';

interface GuardEntity {
  resource: string;
  nsg: string;
  asgs?: string;
}

export interface GuardMemory {
  recall(query: GuardQuery): Promise<GuardRecall>;
  remember(subscriptionId: string, guards: ReadonlyMap<string, GuardRecord | undefined>, options?: { sweep?: boolean }): Promise<void>;
}

/** The row of a subnet (under its network) or of a NIC. */
export function guardRowKey(resourceId: string): string {
  const key = normalizeId(resourceId);
  const parent = parentId(key);
  if (parent !== undefined && kindOfId(key) === 'subnet') return `${GUARD_PREFIX}${resourceKeyPart(parent)}!${encodeKeyPart(nameOfId(key))}`;
  return `${GUARD_PREFIX}${resourceKeyPart(key)}!`;
}

export function createGuardMemory(table: TableClient, now: () => Date, concurrency: number): GuardMemory {
  async function rows(partition: string, prefix: string): Promise<Map<string, GuardRecord & { resource: string; rowKey: string }>> {
    const out = new Map<string, GuardRecord & { resource: string; rowKey: string }>();
    const range = prefixRange(prefix);
    const filter = odata`PartitionKey eq ${partition} and RowKey ge ${range.lower} and RowKey lt ${range.upper}`;
    for await (const row of table.listEntities<GuardEntity>({ queryOptions: { filter } })) {
      if (typeof row.resource === 'string' && typeof row.nsg === 'string') out.set(row.resource, { ...recordOf(row), resource: row.resource, rowKey: row.rowKey ?? '' });
    }
    return out;
  }

  const row = (partition: string, rowKey: string): Promise<GuardEntity | undefined> => entityOrNone<GuardEntity>(table, partition, rowKey);

  async function recall(query: GuardQuery): Promise<GuardRecall> {
    const partition = guardPartition(query.subscriptionId);
    const [marker, single, under] = await Promise.all([
      row(partition, MARKER_ROW),
      Promise.all((query.resources ?? []).map((id) => row(partition, guardRowKey(id)))),
      query.underVirtualNetwork === undefined
        ? Promise.resolve(new Map<string, GuardEntity>())
        : rows(partition, `${GUARD_PREFIX}${resourceKeyPart(query.underVirtualNetwork)}!`),
    ]);
    const records = new Map<string, GuardRecord>();
    for (const found of [...single, ...under.values()]) {
      if (found && typeof found.resource === 'string' && typeof found.nsg === 'string') records.set(found.resource, recordOf(found));
    }
    return { records, complete: marker !== undefined };
  }

  async function remember(subscriptionId: string, guards: ReadonlyMap<string, GuardRecord | undefined>, options: { sweep?: boolean } = {}): Promise<void> {
    const partition = guardPartition(subscriptionId);
    const subscription = subscriptionId.toLowerCase();
    // A sweep saw everything: it rewrites what changed and drops rows of resources it did not see.
    const existing = options.sweep ? await rows(partition, GUARD_PREFIX) : new Map<string, GuardRecord & { rowKey: string }>();
    const actions: TransactionAction[] = [];
    for (const [id, record] of guards) {
      const resource = normalizeId(id);
      if (partitionOfResource(resource) !== subscription) continue;
      const rowKey = guardRowKey(resource);
      if (record === undefined) {
        actions.push(['delete', { partitionKey: partition, rowKey }]);
        continue;
      }
      const nsg = record.nsg === '' ? '' : normalizeId(record.nsg);
      const entity = { partitionKey: partition, rowKey, resource, nsg, asgs: record.asgs };
      const before = existing.get(resource);
      if (!options.sweep) actions.push(['upsert', entity, 'Replace']);
      // A sweep knows which rows exist: it creates the new ones and replaces the changed ones.
      else if (before === undefined) actions.push(['create', entity]);
      else if (before.nsg !== nsg || before.asgs !== record.asgs) actions.push(['update', entity, 'Replace']);
    }
    for (const [resource, stale] of existing) {
      if (!guards.has(resource)) actions.push(['delete', { partitionKey: partition, rowKey: stale.rowKey }]);
    }
    await mapBounded(chunk(actions, TRANSACTION_LIMIT), concurrency, submitTolerant);
    if (options.sweep) await table.upsertEntity({ partitionKey: partition, rowKey: MARKER_ROW, sweptAt: now().toISOString() }, 'Replace');
  }

  /** A delete of a row already gone fails its whole batch: the batch is then applied one by one. */
  async function submitTolerant(batch: TransactionAction[]): Promise<void> {
    try {
      await table.submitTransaction(batch);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      for (const action of batch) {
        try {
          await table.submitTransaction([action]);
        } catch (single) {
          if (action[0] !== 'delete' || statusOf(single) !== 404) throw single;
        }
      }
    }
  }

  return { recall, remember };
}

function recordOf(entity: GuardEntity): GuardRecord {
  return { nsg: entity.nsg, asgs: typeof entity.asgs === 'string' ? entity.asgs : '' };
}

/**
 * The guard rows' own partition beside the subscription's findings: they are written in bulk by a
 * sweep, and kept apart they do not share a partition with the findings, history and outbox rows.
 */
function guardPartition(subscriptionId: string): string {
  return `${subscriptionId.toLowerCase()}!guards`;
}
