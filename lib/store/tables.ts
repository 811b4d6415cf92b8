/**
 * What the findings store's parts share: the Table Storage clients, lazy table creation, the
 * error types, and the reads both the write path and the queries need.
 */
import { RestError, TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { TABLES } from '../config/names.js';
import { stateFromEntity, type EntityResult } from './entity.js';
import { FINDING_ROW_PREFIX, HISTORY_ROW_PREFIX, findingRowKey, partitionOfKey, prefixRange } from './keys.js';
import type { StoredState } from './lifecycle.js';
import { statusOf } from './table.js';
import type { FindingsStoreOptions, Transition } from './types.js';
import { assertNever, errorMessage } from '../nsg/index.js';
import { isPlainHttpConnection } from '../azure/clients.js';

/**
 * Table Storage failed (unreachable, throttled past the retries, refused). A failed write names
 * the transitions it had already committed, so the caller can still announce them.
 */
export class StoreError extends Error {
  readonly committed: Transition[];
  constructor(message: string, committed: Transition[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.committed = committed;
  }
}

/** A query the store cannot run as given (a malformed continuation token): the caller's input, not an outage. */
export class StoreQueryError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'StoreQueryError';
    this.field = field;
  }
}

export const FINDING_ROWS = prefixRange(FINDING_ROW_PREFIX);
export const HISTORY_ROWS = prefixRange(HISTORY_ROW_PREFIX);

/** A finding row as read: its state and the ETag that guards the next write. */
export interface Known {
  state: StoredState | undefined;
  etag: string | undefined;
}

export interface StoreTables {
  findings: TableClient;
  suppressions: TableClient;
  now: () => Date;
  concurrency: number;
  ensureTables(): Promise<void>;
  /** Runs `run` once the tables exist; any failure but a StoreError becomes one, named by `what`. */
  guarded<T>(what: string, run: () => Promise<T>): Promise<T>;
  queryAll(table: TableClient, filter: string, select?: string[]): Promise<EntityResult[]>;
  readFinding(id: string): Promise<Known>;
}

export function createStoreTables(options: FindingsStoreOptions): StoreTables {
  const now = options.now ?? (() => new Date());
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const findings = tableClient(options, options.tables?.findings ?? TABLES.findings);
  const suppressionTable = tableClient(options, options.tables?.suppressions ?? TABLES.suppressions);

  let ready: Promise<void> | undefined;
  function ensureTables(): Promise<void> {
    ready ??= Promise.all([findings.createTable(), suppressionTable.createTable()]).then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    );
    return ready;
  }

  async function readFinding(id: string): Promise<Known> {
    try {
      const entity = await findings.getEntity<Record<string, unknown>>(partitionOfKey(id), findingRowKey(id));
      return { state: stateFromEntity(entity), etag: entity.etag };
    } catch (error) {
      if (statusOf(error) === 404) return { state: undefined, etag: undefined };
      throw error;
    }
  }

  async function queryAll(table: TableClient, filter: string, select?: string[]): Promise<EntityResult[]> {
    const rows: EntityResult[] = [];
    const queryOptions = select ? { filter, select } : { filter };
    for await (const entity of table.listEntities<Record<string, unknown>>({ queryOptions })) rows.push(entity);
    return rows;
  }

  async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      await ensureTables();
      return await run();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`findings store: ${what} failed: ${describe(error)}`, [], { cause: error });
    }
  }

  return { findings, suppressions: suppressionTable, now, concurrency, ensureTables, guarded, queryAll, readFinding };
}

function tableClient(options: FindingsStoreOptions, table: string): TableClient {
  const clientOptions: TableServiceClientOptions = {};
  if (options.retry) clientOptions.retryOptions = options.retry;
  if (options.httpClient) clientOptions.httpClient = options.httpClient;
  const connection = options.connection;
  switch (connection.kind) {
    case 'connectionString': {
      // Azurite and the emulator speak plain http on loopback only.
      if (isPlainHttpConnection(connection.connectionString)) {
        clientOptions.allowInsecureConnection = true;
      }
      return TableClient.fromConnectionString(connection.connectionString, table, clientOptions);
    }
    case 'identity': {
      const endpoint = connection.endpoint ?? `https://${connection.accountName}.table.core.windows.net`;
      return new TableClient(endpoint, table, connection.credential, clientOptions);
    }
    default:
      return assertNever(connection);
  }
}

/** Lost a race: someone else changed (412), created (409) or removed (404) the row first. */
export function isConflict(error: unknown): boolean {
  const status = statusOf(error);
  return status === 412 || status === 409 || status === 404;
}

export function describe(error: unknown): string {
  if (error instanceof RestError) return `${error.statusCode ?? error.code ?? 'no response'}: ${error.message}`;
  return errorMessage(error);
}

