/** The store's queries: findings by filter and page, one finding with its history, history, counts, suppressions. */
import { odata } from '@azure/data-tables';
import { SEVERITIES, type Severity } from '../verdicts/finding.js';
import { historyFromEntity, stateFromEntity, suppressionFromEntity, SUPPRESSION_PARTITION } from './entity.js';
import {
  FINDING_ROW_PREFIX,
  HISTORY_ROW_PREFIX,
  isFindingKey,
  partitionOfKey,
  partitionOfResource,
  prefixRange,
  resourceKeyPart,
} from './keys.js';
import { isActive } from './suppressions.js';
import { FINDING_ROWS, HISTORY_ROWS, StoreQueryError, type StoreTables } from './tables.js';
import type {
  FindingPage,
  FindingQuery,
  FindingsStore,
  HistoryEntry,
  HistoryQuery,
  StoredFinding,
  Suppression,
} from './types.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** The SDK's continuation token: base64 of `{"nextPartitionKey":...,"nextRowKey":...}`. */
function isContinuationToken(token: string): boolean {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('latin1'));
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as Record<string, unknown>)['nextPartitionKey'] === 'string';
  } catch {
    return false;
  }
}

export type StoreQueries = Pick<FindingsStore, 'listFindings' | 'getFinding' | 'listHistory' | 'countOpenFindings' | 'listSuppressions'>;

export function createQueries(tables: StoreTables): StoreQueries {
  const { findings, suppressions: suppressionTable, now, guarded, queryAll, readFinding } = tables;

  async function listFindings(query: FindingQuery = {}): Promise<FindingPage> {
    if (query.continuationToken !== undefined && !isContinuationToken(query.continuationToken)) {
      throw new StoreQueryError('continuationToken', 'the continuation token is not one this store issued');
    }
    const requested = query.limit !== undefined && Number.isFinite(query.limit) ? Math.trunc(query.limit) : DEFAULT_PAGE;
    const limit = Math.min(Math.max(requested, 1), MAX_PAGE);
    return guarded('listing findings', async () => {
      const conditions: string[] = [];
      let rows = FINDING_ROWS;
      let partition: string | undefined;
      if (query.subscription !== undefined) partition = query.subscription.trim().toLowerCase();
      if (query.resource !== undefined) {
        const resourcePartition = partitionOfResource(query.resource);
        if (partition !== undefined && partition !== resourcePartition) return { items: [] };
        partition = resourcePartition;
        rows = prefixRange(`${FINDING_ROW_PREFIX}${resourceKeyPart(query.resource)}!`);
      }
      if (partition !== undefined) conditions.push(odata`PartitionKey eq ${partition}`);
      conditions.push(odata`RowKey ge ${rows.lower} and RowKey lt ${rows.upper}`);
      if (query.status !== undefined) conditions.push(odata`status eq ${query.status}`);
      if (query.severity !== undefined) conditions.push(odata`severity eq ${query.severity}`);
      if (query.ruleId !== undefined) conditions.push(odata`ruleId eq ${query.ruleId}`);
      const filter = conditions.join(' and ');

      const items: StoredFinding[] = [];
      let token = query.continuationToken;
      while (items.length < limit) {
        const pages = findings
          .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
          .byPage({ maxPageSize: limit - items.length, ...(token ? { continuationToken: token } : {}) });
        const next = await pages.next();
        if (next.done) {
          token = undefined;
          break;
        }
        for (const row of next.value) items.push(stateFromEntity(row).finding);
        token = next.value.continuationToken;
        if (!token) break;
      }
      return token ? { items, continuationToken: token } : { items };
    });
  }

  async function historyOf(id: string): Promise<HistoryEntry[]> {
    const range = prefixRange(`${HISTORY_ROW_PREFIX}${id}!`);
    const rows = await queryAll(
      findings,
      odata`PartitionKey eq ${partitionOfKey(id)} and RowKey ge ${range.lower} and RowKey lt ${range.upper}`,
    );
    return rows.map(historyFromEntity).sort(byTime);
  }

  async function getFinding(id: string): Promise<{ finding: StoredFinding; history: HistoryEntry[] } | undefined> {
    if (!isFindingKey(id)) return undefined;
    return guarded('reading a finding', async () => {
      const [known, history] = await Promise.all([readFinding(id), historyOf(id)]);
      return known.state ? { finding: known.state.finding, history } : undefined;
    });
  }

  async function listHistory(query: HistoryQuery = {}): Promise<HistoryEntry[]> {
    return guarded('listing history', async () => {
      const conditions = [odata`RowKey ge ${HISTORY_ROWS.lower} and RowKey lt ${HISTORY_ROWS.upper}`];
      if (query.since) conditions.push(odata`at ge ${query.since.toISOString()}`);
      if (query.until) conditions.push(odata`at lt ${query.until.toISOString()}`);
      if (query.kinds && query.kinds.length > 0) {
        conditions.push(`(${query.kinds.map((k) => odata`transition eq ${k}`).join(' or ')})`);
      }
      const rows = await queryAll(findings, conditions.join(' and '));
      return rows.map(historyFromEntity).sort(byTime);
    });
  }

  async function countOpenFindings(): Promise<Record<Severity, number>> {
    return guarded('counting findings', async () => {
      const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
      const rows = await queryAll(
        findings,
        odata`RowKey ge ${FINDING_ROWS.lower} and RowKey lt ${FINDING_ROWS.upper} and status eq ${'open'}`,
        ['severity'],
      );
      for (const row of rows) {
        const severity = row['severity'];
        if (typeof severity === 'string' && severity in counts) counts[severity as Severity] += 1;
      }
      return counts;
    });
  }

  async function listSuppressions(): Promise<(Suppression & { active: boolean })[]> {
    return guarded('listing suppressions', async () => {
      const at = now();
      const rows = await queryAll(suppressionTable, odata`PartitionKey eq ${SUPPRESSION_PARTITION}`);
      return rows
        .map(suppressionFromEntity)
        .map((s) => ({ ...s, active: isActive(s, at) }))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    });
  }

  return { listFindings, getFinding, listHistory, countOpenFindings, listSuppressions };
}

function byTime(a: HistoryEntry, b: HistoryEntry): number {
  return a.at.localeCompare(b.at) || a.id.localeCompare(b.id);
}

