/**
 * Storage going away mid-run: a write fails loudly (after short retries), and nothing half-written
 * is ever read as resolved. Azurite keeps its data in a folder so it can be stopped and started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../lib/local/azurite.js';
import {
  createFindingsStore,
  StoreError,
  type FindingsStore,
  type StoreTableNames,
  type Transition,
} from '../../lib/store/index.js';
import { evaluation, freshTables, makeFinding, nsgId, observedTransport } from './support.js';

const folder = mkdtempSync(path.join(tmpdir(), 'nsgwatch-store-'));
let azurite: Azurite;
let ports: { blob: number; queue: number; table: number };
beforeAll(async () => {
  azurite = await startAzurite({ location: folder });
  const port = (url: string): number => Number(new URL(url).port);
  ports = { blob: port(azurite.blobUrl), queue: port(azurite.queueUrl), table: port(azurite.tableUrl) };
});
afterAll(async () => {
  await azurite.stop();
  rmSync(folder, { recursive: true, force: true });
});

function store(tables: StoreTableNames, extra: Partial<Parameters<typeof createFindingsStore>[0]> = {}): FindingsStore {
  return createFindingsStore({
    connection: { kind: 'connectionString', connectionString: azurite.connectionString },
    tables,
    retry: { maxRetries: 1, retryDelayInMs: 20, maxRetryDelayInMs: 40 },
    ...extra,
  });
}

const ids = ['a', 'b', 'c', 'd', 'e'].map((n) => nsgId(`nsg-${n}`));
const before = evaluation({ read: ids, findings: ids.slice(0, 4).map((id) => makeFinding('NSG-002', id)) });
// a, b resolve; c, d stay; e opens.
const after = evaluation({ read: ids, findings: ids.slice(2).map((id) => makeFinding('NSG-002', id)) });

describe('Azurite restarted mid-run', () => {
  it('fails loudly while storage is down, and is consistent once it is back', async () => {
    const tables = freshTables('restart');
    const s = store(tables);
    expect(await s.applyEvaluation(before)).toHaveLength(4);

    await azurite.stop();
    const started = Date.now();
    const failure = await s.applyEvaluation(after).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).committed).toEqual([]);
    expect((failure as StoreError).message).toMatch(/findings store: applying an evaluation failed/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(s.listFindings()).rejects.toBeInstanceOf(StoreError);

    azurite = await startAzurite({ location: folder, ports });
    const page = await s.listFindings();
    expect(page.items.map((f) => f.status)).toEqual(['open', 'open', 'open', 'open']);
    const transitions = await s.applyEvaluation(after);
    expect(transitions.map((t) => `${t.kind} ${t.finding.resourceName}`).sort()).toEqual([
      'opened nsg-e',
      'resolved nsg-a',
      'resolved nsg-b',
    ]);
  });
});

describe('a process that dies between writes', () => {
  /** The request count of a full, uninterrupted run of `after`: every cut point is tried below it. */
  let fullRun = 0;
  beforeAll(async () => {
    const transport = observedTransport();
    const tables = freshTables('count');
    await store(tables).applyEvaluation(before);
    const counted = store(tables, { httpClient: transport.httpClient });
    await counted.ensureTables();
    const sent = transport.statuses.length;
    await counted.applyEvaluation(after);
    fullRun = transport.statuses.length - sent;
  });

  it('leaves every finding either as it was or fully changed with its history, and a retry completes the rest once', async () => {
    expect(fullRun).toBeGreaterThan(3);
    for (let cut = 0; cut <= fullRun; cut++) {
      const tables = freshTables('cut');
      await store(tables).applyEvaluation(before);
      const transport = observedTransport();
      const dying = store(tables, { httpClient: transport.httpClient, retry: { maxRetries: 0 }, concurrency: 1 });
      await dying.ensureTables();
      transport.cutAfter(cut);
      let committed: Transition[];
      try {
        committed = await dying.applyEvaluation(after);
      } catch (error) {
        expect(error, `cut ${cut}`).toBeInstanceOf(StoreError);
        committed = (error as StoreError).committed;
      }

      // Read back with a healthy instance: each finding's status agrees with its own history.
      const healthy = store(tables);
      const page = await healthy.listFindings();
      for (const finding of page.items) {
        const { history } = (await healthy.getFinding(finding.id))!;
        expect(history.at(-1)?.status, `cut ${cut}: ${finding.resourceName}`).toBe(finding.status);
      }
      const retried = await healthy.applyEvaluation(after);
      const all = [...committed, ...retried].map((t) => `${t.kind} ${t.finding.resourceName}`).sort();
      expect(all, `cut ${cut}`).toEqual(['opened nsg-e', 'resolved nsg-a', 'resolved nsg-b']);
      expect((await healthy.listHistory()).length, `cut ${cut}`).toBe(4 + 3);
      // Each transition committed with exactly one pending notification (the outbox), whatever the cut.
      expect((await healthy.pendingNotifications()).count, `cut ${cut}`).toBe(4 + 3);
    }
  });
});
