/**
 * The outbox (DESIGN §7): every transition's notification is a row written in the same
 * entity-group transaction as the transition itself, in the finding's partition, so a crash leaves
 * both or neither. A dispatcher (lib/alerts/dispatcher.ts) claims due rows, delivers them to each
 * sink, records per sink what was delivered, and deletes a row once every sink has it; a row whose
 * delivery failed waits for its next attempt (`dueAt`), across invocations and restarts.
 *
 *   RowKey `o!<transition id>`   with `transition` (the transition as JSON, evidence left out),
 *                                `delivered` (sink names, comma-separated), `attempts`, `dueAt`,
 *                                `lastError`, `createdAt`
 */
import { odata } from '@azure/data-tables';
import type { Entity } from './entity.js';
import { partitionOfKey, prefixRange } from './keys.js';
import { mapBounded, statusOf } from './table.js';
import type { StoreTables } from './tables.js';
import type { OutboxQuery, OutboxSettlement, PendingNotification, Transition } from './types.js';

export const OUTBOX_ROW_PREFIX = 'o!';
const OUTBOX_ROWS = prefixRange(OUTBOX_ROW_PREFIX);
/** Table Storage holds at most 64 KiB (32K UTF-16 characters) in one string property. */
const MAX_TRANSITION_JSON = 30_000;
const MAX_ERROR = 1_000;

export function outboxRowKey(transitionId: string): string {
  return OUTBOX_ROW_PREFIX + transitionId;
}

/** The pending notification of a transition, for the transaction that commits the transition. */
export function outboxEntity(transition: Transition, at: Date): Entity {
  return {
    partitionKey: partitionOfKey(transition.finding.id),
    rowKey: outboxRowKey(transition.id),
    transition: transitionJson(transition),
    delivered: '',
    attempts: 0,
    dueAt: at.toISOString(),
    lastError: '',
    createdAt: at.toISOString(),
  };
}

/** Alerts carry the finding's headline, never its evidence; a huge message is cut to fit the row. */
function transitionJson(transition: Transition): string {
  const light: Transition = { ...transition, finding: { ...transition.finding, evidence: {} } };
  const json = JSON.stringify(light);
  if (json.length <= MAX_TRANSITION_JSON) return json;
  const f = light.finding;
  return JSON.stringify({ ...light, finding: { ...f, message: f.message.slice(0, 2_000), title: f.title.slice(0, 500), remediation: { az: '', bicep: '' } } });
}

function notificationOf(row: Record<string, unknown> & { partitionKey?: string; rowKey?: string; etag?: string }): PendingNotification | undefined {
  const json = row['transition'];
  if (typeof json !== 'string') return undefined;
  let transition: Transition;
  try {
    transition = JSON.parse(json) as Transition;
  } catch {
    return undefined;
  }
  const delivered = typeof row['delivered'] === 'string' && row['delivered'] !== '' ? row['delivered'].split(',') : [];
  return {
    partitionKey: row.partitionKey ?? '',
    rowKey: row.rowKey ?? '',
    etag: row.etag ?? '*',
    transition,
    delivered,
    attempts: typeof row['attempts'] === 'number' ? row['attempts'] : 0,
    dueAt: typeof row['dueAt'] === 'string' ? row['dueAt'] : '',
    createdAt: typeof row['createdAt'] === 'string' ? row['createdAt'] : '',
    ...(typeof row['lastError'] === 'string' && row['lastError'] !== '' ? { lastError: row['lastError'] } : {}),
  };
}

export interface Outbox {
  due(query: OutboxQuery): Promise<PendingNotification[]>;
  claim(items: readonly PendingNotification[], until: Date): Promise<PendingNotification[]>;
  settle(item: PendingNotification, settlement: OutboxSettlement): Promise<boolean>;
  pending(): Promise<{ count: number; oldest?: string }>;
}

export function createOutbox(tables: StoreTables): Outbox {
  const { findings, concurrency, queryAll } = tables;
  const rowsFilter = odata`RowKey ge ${OUTBOX_ROWS.lower} and RowKey lt ${OUTBOX_ROWS.upper}`;

  async function due(query: OutboxQuery): Promise<PendingNotification[]> {
    const rows = await queryAll(findings, `${rowsFilter} and ${odata`dueAt le ${query.dueBy.toISOString()}`}`);
    const items = rows.flatMap((row) => notificationOf(row) ?? []);
    // Oldest first, so a backlog drains in the order it was made.
    items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.rowKey.localeCompare(b.rowKey));
    return items.slice(0, Math.max(1, query.limit ?? 500));
  }

  /** Moves each row's dueAt to `until` if nobody changed it since it was read: the rows won are this dispatcher's. */
  async function claim(items: readonly PendingNotification[], until: Date): Promise<PendingNotification[]> {
    const won = await mapBounded(items, concurrency, async (item) => {
      try {
        const response = await findings.updateEntity(
          { partitionKey: item.partitionKey, rowKey: item.rowKey, dueAt: until.toISOString() },
          'Merge',
          { etag: item.etag },
        );
        return { ...item, etag: response.etag ?? item.etag, dueAt: until.toISOString() };
      } catch (error) {
        const status = statusOf(error);
        if (status === 412 || status === 404) return undefined;
        throw error;
      }
    });
    return won.filter((w): w is PendingNotification => w !== undefined);
  }

  /** Records what was delivered: deletes the row when every sink has it, else sets its next attempt. */
  async function settle(item: PendingNotification, settlement: OutboxSettlement): Promise<boolean> {
    try {
      if (settlement.done) {
        await findings.deleteEntity(item.partitionKey, item.rowKey, { etag: item.etag });
        return true;
      }
      await findings.updateEntity(
        {
          partitionKey: item.partitionKey,
          rowKey: item.rowKey,
          delivered: [...new Set(settlement.delivered)].join(','),
          attempts: item.attempts + 1,
          dueAt: settlement.retryAt.toISOString(),
          lastError: (settlement.error ?? '').slice(0, MAX_ERROR),
        },
        'Merge',
        { etag: item.etag },
      );
      return true;
    } catch (error) {
      const status = statusOf(error);
      // Another dispatcher took the row over after our claim ran out: it decides now.
      if (status === 412 || status === 404) return false;
      throw error;
    }
  }

  async function pending(): Promise<{ count: number; oldest?: string }> {
    const rows = await queryAll(findings, rowsFilter, ['createdAt']);
    let oldest: string | undefined;
    for (const row of rows) {
      const created = row['createdAt'];
      if (typeof created === 'string' && (oldest === undefined || created < oldest)) oldest = created;
    }
    return oldest === undefined ? { count: rows.length } : { count: rows.length, oldest };
  }

  return { due, claim, settle, pending };
}
