/** Small helpers every Table Storage user here shares. */
import type { TableClient, TableEntityResult } from '@azure/data-tables';

/** Entity-group transactions hold at most 100 operations. */
export const TRANSACTION_LIMIT = 100;

/**
 * The HTTP status of a failed Table Storage call (undefined when no answer came). Read off the
 * error rather than by class: the SDK packages may each carry their own copy of RestError.
 */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
  const status = (error).statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `fn` over every item, at most `limit` at a time; results in the items' order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** One entity by its keys, or undefined when there is none (a 404); any other failure throws. */
export async function entityOrNone<T extends object>(table: TableClient, partitionKey: string, rowKey: string): Promise<TableEntityResult<T> | undefined> {
  try {
    return await table.getEntity<T>(partitionKey, rowKey);
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}
