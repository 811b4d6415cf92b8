/**
 * The findings store on Azure Table Storage (DESIGN §6).
 *
 * One table holds current findings and their history, partitioned by subscription, so a status
 * change and its history row commit together in one entity-group transaction: a crash leaves
 * either both or neither, never a finding that changed without its history (or the reverse).
 * Every write is ETag-guarded (If-Match, or create-if-absent); on 412/409 the finding is re-read
 * and re-decided, so two instances applying the same evaluation make each transition once.
 *
 * The parts: tables.ts (clients, errors, shared reads), writes.ts (the write path), queries.ts
 * (what the API and dashboard read), outbox.ts (notifications not yet delivered), guards.ts (what
 * guarded each subnet and NIC).
 */
import { createGuardMemory } from './guards.js';
import { createOutbox } from './outbox.js';
import { createQueries } from './queries.js';
import { createStoreTables } from './tables.js';
import type { FindingsStore, FindingsStoreOptions } from './types.js';
import { createWritePath } from './writes.js';

export { StoreError, StoreQueryError } from './tables.js';

export function createFindingsStore(options: FindingsStoreOptions): FindingsStore {
  const tables = createStoreTables(options);
  const guards = createGuardMemory(tables.findings, tables.now, tables.concurrency);
  const outbox = createOutbox(tables);
  return {
    ensureTables: () => tables.guarded('creating tables', tables.ensureTables),
    ...createWritePath(tables),
    ...createQueries(tables),
    dueNotifications: (query) => tables.guarded('reading the notifications due', () => outbox.due(query)),
    claimNotifications: (items, until) => tables.guarded('claiming notifications', () => outbox.claim(items, until)),
    settleNotification: (item, settlement) => tables.guarded('recording a delivery', () => outbox.settle(item, settlement)),
    pendingNotifications: () => tables.guarded('counting pending notifications', () => outbox.pending()),
    recallGuards: (query) => tables.guarded('recalling what guarded subnets and NICs', () => guards.recall(query)),
    rememberGuards: (subscriptionId, entries, rememberOptions) =>
      tables.guarded('recording what guards subnets and NICs', () => guards.remember(subscriptionId, entries, rememberOptions)),
  };
}
