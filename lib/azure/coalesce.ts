/**
 * Per-scope coalescing of event bursts. A deployment that writes 200 rules to one NSG in a few
 * seconds must cause one evaluation of that NSG, not 200.
 *
 * Design: one guard entity per scope in TABLES.pending marks an open window. The first event of a
 * window creates the guard (insert: exactly one writer wins) and sends one message to
 * QUEUES.evaluate, invisible for the coalescing delay. Later events find the guard and only add
 * their cause to it. The queue consumer claims the window (deletes the guard) before it reads
 * Azure, so an event that arrives after the claim opens a new window instead of being lost.
 *
 * Why that is safe: an event that found the guard still open was delivered before the claim, and
 * the claim happens before the evaluation reads ARM; so that evaluation sees the event's change.
 * Recording the cause is best effort (history only); coverage never depends on it. Duplicate and
 * out-of-order events are harmless because the evaluation always reads current state.
 */
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { TableClient, type TableEntity, type TableEntityResult } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { QUEUES, SETTINGS, TABLES } from '../config/names.js';
import type { ResourceChange } from './events.js';
import { entityOrNone, statusOf } from '../store/table.js';
import { parseScope, scopeKey, tableKeySafe, type Scope } from './scopes.js';
import { appCredential, isPlainHttpConnection } from './clients.js';

/** What made a scope worth re-evaluating, kept for the finding history. */
export interface ChangeCause {
  eventId: string;
  correlationId: string;
  operationName: string;
  /** ISO 8601 UTC: the start of the event-to-finding latency. */
  eventTime: string;
  resourceId: string;
  changedBy?: string;
}

export function causeOfChange(change: ResourceChange): ChangeCause {
  return {
    eventId: change.eventId,
    correlationId: change.correlationId,
    operationName: change.operationName,
    eventTime: change.eventTime,
    resourceId: change.resourceId,
    ...(change.changedBy !== undefined ? { changedBy: change.changedBy } : {}),
  };
}

/** The body of a QUEUES.evaluate message (JSON, base64-encoded on the wire as the Functions host expects). */
export interface EvaluateMessage {
  v: 1;
  scope: Scope;
  /** scopeKey(scope): the guard's RowKey. */
  key: string;
  /** Which window this message closes; a guard with another window id belongs to a newer message. */
  windowId: string;
  openedAt: string;
  /** The event that opened the window (survives a redelivery after the guard was claimed). */
  firstCause?: ChangeCause;
  /**
   * The guard's ETag when the window opened: if the guard still has it, no other event joined, and
   * the claim is one conditional delete.
   */
  guardEtag?: string;
}

export type EnqueueOutcome =
  /** This event opened a window and sent its message (`takeover`: it replaced an abandoned guard). */
  | { status: 'enqueued'; key: string; windowId: string; messageId: string; takeover: boolean }
  /** An open window covers this event; `causeRecorded` says whether it made the history list. */
  | { status: 'coalesced'; key: string; windowId: string; causeRecorded: boolean };

export type ClaimOutcome =
  /** The window is closed; evaluate the scope and record these causes. */
  | { status: 'claimed'; evaluate: true; scope: Scope; windowId: string; openedAt: string; causes: ChangeCause[]; causesTruncated: boolean }
  /** The guard is already gone (a redelivery after a failed evaluation): evaluate again. */
  | { status: 'alreadyClaimed'; evaluate: true; scope: Scope; windowId: string; causes: ChangeCause[] }
  /** A newer window owns the guard and its own message will evaluate the scope: skip. */
  | { status: 'superseded'; evaluate: false; scope: Scope; windowId: string; currentWindowId: string }
  /** Not a message this module wrote: the consumer logs it and lets it go to the poison queue. */
  | { status: 'invalidMessage'; evaluate: false; reason: string };

export interface Coalescer {
  /** Create the table and queue when missing (local mode; the deployment declares them in Azure). */
  ensureResources(): Promise<void>;
  /** Open a window for the scope or join the open one. Throws when storage fails (the event is then redelivered). */
  enqueueScope(scope: Scope, cause: ChangeCause): Promise<EnqueueOutcome>;
  /** Close the message's window; call before reading Azure. Accepts the message as the trigger hands it over. */
  claimScope(message: unknown): Promise<ClaimOutcome>;
}

export interface CoalescerOptions {
  /** TableClient on TABLES.pending. */
  table: TableClient;
  /** QueueClient on QUEUES.evaluate. */
  queue: QueueClient;
  /** How long a window stays open (the message's visibility delay), seconds. Default 10. */
  delaySeconds?: number;
  /** A guard older than delay + this is abandoned (its message was lost) and is taken over. Default 600. */
  staleAfterSeconds?: number;
  /** Causes kept per window; later ones only mark the list truncated. Default 25. */
  maxCauses?: number;
  /** Injected clock. */
  now?: () => Date;
  /** Injected window ids (tests). */
  newWindowId?: () => string;
  /** Message time to live, seconds. Default 7 days. */
  messageTimeToLiveSeconds?: number;
}

export const DEFAULT_COALESCE_SECONDS = 10;
const DEFAULT_STALE_AFTER_SECONDS = 600;
const DEFAULT_MAX_CAUSES = 25;
const DEFAULT_TTL_SECONDS = 7 * 24 * 3600;
/** Queue visibility timeouts are capped at 7 days; a longer window is a configuration error. */
const MAX_DELAY_SECONDS = 7 * 24 * 3600 - 1;
/** Attempts at one guard before an operation gives up on a contended ETag. */
const MAX_ATTEMPTS = 8;
/** Recording a cause is history only: give up early under contention rather than slow the event down. */
const RECORD_ATTEMPTS = 3;
/** Causes JSON is one string property (64 KiB limit); stay well below it. */
const MAX_CAUSES_JSON = 30_000;

interface GuardEntity {
  kind: string;
  scopeId: string;
  subscriptionId: string;
  windowId: string;
  openedAt: string;
  causes: string;
  causesTruncated: boolean;
}

export function createCoalescer(options: CoalescerOptions): Coalescer {
  const delaySeconds = options.delaySeconds ?? DEFAULT_COALESCE_SECONDS;
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
    throw new RangeError(`coalescing delay must be a whole number of seconds from 0 to ${MAX_DELAY_SECONDS}, got ${delaySeconds}`);
  }
  const staleAfterMs = (delaySeconds + (options.staleAfterSeconds ?? DEFAULT_STALE_AFTER_SECONDS)) * 1000;
  const maxCauses = options.maxCauses ?? DEFAULT_MAX_CAUSES;
  const now = options.now ?? (() => new Date());
  const newWindowId = options.newWindowId ?? randomUUID;
  const ttl = options.messageTimeToLiveSeconds ?? DEFAULT_TTL_SECONDS;
  const { table, queue } = options;

  const readGuard = (pk: string, rk: string): Promise<TableEntityResult<GuardEntity> | undefined> => entityOrNone<GuardEntity>(table, pk, rk);

  async function send(message: EvaluateMessage): Promise<string> {
    const sent = await queue.sendMessage(encodeEvaluateMessage(message), { visibilityTimeout: delaySeconds, messageTimeToLive: ttl });
    return sent.messageId;
  }

  /** Send the window's message; if that fails, drop the guard so the redelivered event can retry at once. */
  async function sendOrRelease(message: EvaluateMessage, pk: string, etag: string | undefined): Promise<string> {
    try {
      return await send(message);
    } catch (error) {
      await table.deleteEntity(pk, message.key, etag !== undefined ? { etag } : {}).catch(() => undefined);
      throw error;
    }
  }

  async function enqueueScope(scope: Scope, cause: ChangeCause): Promise<EnqueueOutcome> {
    const key = scopeKey(scope);
    const pk = partitionKeyOf(scope);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // Open a window by creating its guard; a conflict means one is open (or stale): read it.
      const windowId = newWindowId();
      const openedAt = now().toISOString();
      let created: string | undefined;
      try {
        const entity: TableEntity<GuardEntity> = { partitionKey: pk, rowKey: key, ...guardFields(scope, windowId, openedAt, [cause], false) };
        created = (await table.createEntity(entity)).etag ?? '';
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
      if (created !== undefined) {
        const message: EvaluateMessage = { v: 1, scope, key, windowId, openedAt, firstCause: cause };
        if (created !== '') message.guardEtag = created;
        const messageId = await sendOrRelease(message, pk, created || undefined);
        return { status: 'enqueued', key, windowId, messageId, takeover: false };
      }
      const guard = await readGuard(pk, key);
      if (guard === undefined) continue; // closed between our create and our read: try again
      if (!(now().getTime() - Date.parse(guard.openedAt) <= staleAfterMs)) {
        // The window's message never closed it (lost send, poisoned message): open a new one, keep its causes.
        const kept = mergeCauses(readCauses(guard.causes), cause, maxCauses);
        let etag: string | undefined;
        try {
          const replaced = await table.updateEntity(
            { partitionKey: pk, rowKey: key, ...guardFields(scope, windowId, openedAt, kept.causes, guard.causesTruncated || kept.truncated) },
            'Replace',
            { etag: guard.etag },
          );
          etag = replaced.etag;
        } catch (error) {
          if (isRace(error)) continue;
          throw error;
        }
        const messageId = await sendOrRelease({ v: 1, scope, key, windowId, openedAt, firstCause: cause }, pk, etag);
        return { status: 'enqueued', key, windowId, messageId, takeover: true };
      }
      // An open window: its evaluation starts after now, so it covers this event.
      return { status: 'coalesced', key, windowId: guard.windowId, causeRecorded: await recordCause(guard, pk, key, cause) };
    }
    throw new Error(`could not open or join a coalescing window for ${scope.id}: the guard changed ${MAX_ATTEMPTS} times in a row`);
  }

  /** Add the cause to the open window's list; stop as soon as the window is no longer the one we joined. */
  async function recordCause(first: TableEntityResult<GuardEntity>, pk: string, key: string, cause: ChangeCause): Promise<boolean> {
    let guard: TableEntityResult<GuardEntity> | undefined = first;
    for (let attempt = 0; attempt < RECORD_ATTEMPTS && guard?.windowId === first.windowId; attempt++) {
      const causes = readCauses(guard.causes);
      if (causes.some((c) => c.eventId === cause.eventId)) return true;
      const merged = mergeCauses(causes, cause, maxCauses);
      if (!merged.added && guard.causesTruncated) return false;
      try {
        await table.updateEntity(
          { partitionKey: pk, rowKey: key, causes: JSON.stringify(merged.causes), causesTruncated: guard.causesTruncated || merged.truncated },
          'Merge',
          { etag: guard.etag },
        );
        return merged.added;
      } catch (error) {
        if (!isRace(error)) throw error;
      }
      guard = await readGuard(pk, key);
    }
    return false;
  }

  async function claimScope(raw: unknown): Promise<ClaimOutcome> {
    const decoded = decodeEvaluateMessage(raw);
    if (!decoded.ok) return { status: 'invalidMessage', evaluate: false, reason: decoded.reason };
    const message = decoded.message;
    const pk = partitionKeyOf(message.scope);
    const fromMessage = message.firstCause !== undefined ? [message.firstCause] : [];
    if (message.guardEtag !== undefined) {
      // The guard as it was created: the window holds the first cause alone.
      try {
        await table.deleteEntity(pk, message.key, { etag: message.guardEtag });
        return { status: 'claimed', evaluate: true, scope: message.scope, windowId: message.windowId, openedAt: message.openedAt, causes: fromMessage, causesTruncated: false };
      } catch (error) {
        if (statusOf(error) !== 412 && statusOf(error) !== 404) throw error;
        // Changed (causes joined, or a newer window) or gone: read it and decide as below.
      }
    }
    let last: TableEntityResult<GuardEntity> | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const guard = await readGuard(pk, message.key);
      if (guard === undefined) {
        return { status: 'alreadyClaimed', evaluate: true, scope: message.scope, windowId: message.windowId, causes: fromMessage };
      }
      if (guard.windowId !== message.windowId) {
        return { status: 'superseded', evaluate: false, scope: message.scope, windowId: message.windowId, currentWindowId: guard.windowId };
      }
      last = guard;
      try {
        await table.deleteEntity(pk, message.key, { etag: guard.etag });
        return claimed(message, guard);
      } catch (error) {
        if (statusOf(error) === 404) return claimed(message, guard);
        if (statusOf(error) !== 412) throw error;
      }
    }
    // Causes keep arriving; every event read so far is covered, so close the window regardless.
    await table.deleteEntity(pk, message.key).catch((error: unknown) => {
      if (statusOf(error) !== 404) throw error;
    });
    return last !== undefined ? claimed(message, last) : { status: 'alreadyClaimed', evaluate: true, scope: message.scope, windowId: message.windowId, causes: fromMessage };
  }

  async function ensureResources(): Promise<void> {
    await table.createTable();
    await queue.createIfNotExists();
  }

  return { ensureResources, enqueueScope, claimScope };
}

function claimed(message: EvaluateMessage, guard: GuardEntity): ClaimOutcome {
  return {
    status: 'claimed',
    evaluate: true,
    scope: message.scope,
    windowId: message.windowId,
    openedAt: guard.openedAt,
    causes: readCauses(guard.causes),
    causesTruncated: guard.causesTruncated,
  };
}

function guardFields(scope: Scope, windowId: string, openedAt: string, causes: ChangeCause[], causesTruncated: boolean): GuardEntity {
  return {
    kind: scope.kind,
    scopeId: scope.id,
    subscriptionId: scope.subscriptionId,
    windowId,
    openedAt,
    causes: JSON.stringify(causes),
    causesTruncated,
  };
}

function partitionKeyOf(scope: Scope): string {
  // One partition per subscription spreads a multi-subscription burst over partitions.
  return tableKeySafe(scope.subscriptionId.toLowerCase());
}

function mergeCauses(causes: ChangeCause[], cause: ChangeCause, maxCauses: number): { causes: ChangeCause[]; added: boolean; truncated: boolean } {
  if (causes.some((c) => c.eventId === cause.eventId)) return { causes, added: false, truncated: false };
  const merged = [...causes, cause];
  if (merged.length > maxCauses || JSON.stringify(merged).length > MAX_CAUSES_JSON) return { causes, added: false, truncated: true };
  return { causes: merged, added: true, truncated: false };
}

function readCauses(json: string): ChangeCause[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter(isCause) : [];
  } catch {
    return [];
  }
}

function isCause(value: unknown): value is ChangeCause {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c['eventId'] === 'string' &&
    typeof c['correlationId'] === 'string' &&
    typeof c['operationName'] === 'string' &&
    typeof c['eventTime'] === 'string' &&
    typeof c['resourceId'] === 'string' &&
    (c['changedBy'] === undefined || typeof c['changedBy'] === 'string')
  );
}

export type DecodedMessage = { ok: true; message: EvaluateMessage } | { ok: false; reason: string };

/** The wire form of a message: base64 of its JSON. */
export function encodeEvaluateMessage(message: EvaluateMessage): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

/**
 * Read a QUEUES.evaluate message as the Functions host hands it over (the decoded JSON object),
 * or as text (JSON, or base64 of JSON as it sits in the queue).
 */
export function decodeEvaluateMessage(raw: unknown): DecodedMessage {
  let value: unknown = raw;
  if (raw instanceof Uint8Array) value = new TextDecoder().decode(raw);
  if (typeof value === 'string') {
    const text = value.trim();
    const json = text.startsWith('{') ? text : Buffer.from(text, 'base64').toString('utf8');
    try {
      value = JSON.parse(json) as unknown;
    } catch {
      return { ok: false, reason: 'message is neither JSON nor base64-encoded JSON' };
    }
  }
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'message is not a JSON object' };
  const record = value as Record<string, unknown>;
  if (record['v'] !== 1) return { ok: false, reason: `unknown message version ${JSON.stringify(record['v'])}` };
  const scope = parseScope(record['scope']);
  if (scope === undefined) return { ok: false, reason: 'message has no valid scope (kind, id, subscriptionId)' };
  const { windowId, openedAt, firstCause } = record;
  if (typeof windowId !== 'string' || windowId === '') return { ok: false, reason: 'message has no windowId' };
  if (typeof openedAt !== 'string' || Number.isNaN(Date.parse(openedAt))) return { ok: false, reason: 'message has no valid openedAt' };
  if (firstCause !== undefined && !isCause(firstCause)) return { ok: false, reason: 'message has a malformed firstCause' };
  const guardEtag = record['guardEtag'];
  if (guardEtag !== undefined && (typeof guardEtag !== 'string' || guardEtag === '')) return { ok: false, reason: 'message has a malformed guardEtag' };
  // The key is recomputed, never trusted, so a message can only ever touch its own scope's guard.
  const message: EvaluateMessage = { v: 1, scope, key: scopeKey(scope), windowId, openedAt };
  if (firstCause !== undefined) message.firstCause = firstCause;
  if (guardEtag !== undefined) message.guardEtag = guardEtag;
  return { ok: true, message };
}

export type CoalescerFromEnvironment =
  | { ok: true; coalescer: Coalescer; delaySeconds: number }
  | { ok: false; error: { code: 'missingSetting' | 'invalidSetting'; setting: string; message: string } };

/**
 * Build the coalescer from app settings: identity-based storage in Azure
 * (AzureWebJobsStorage__accountName + managed identity), a connection string locally (Azurite).
 */
export function coalescerFromEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
  credential?: TokenCredential,
): CoalescerFromEnvironment {
  const rawDelay = env[SETTINGS.coalesceSeconds]?.trim();
  let delaySeconds = DEFAULT_COALESCE_SECONDS;
  if (rawDelay !== undefined && rawDelay !== '') {
    delaySeconds = Number(rawDelay);
    if (!/^\d+$/.test(rawDelay) || delaySeconds > MAX_DELAY_SECONDS) {
      return {
        ok: false,
        error: { code: 'invalidSetting', setting: SETTINGS.coalesceSeconds, message: `${SETTINGS.coalesceSeconds} must be whole seconds from 0 to ${MAX_DELAY_SECONDS}, got ${JSON.stringify(rawDelay)}` },
      };
    }
  }
  const accountName = env[SETTINGS.storageAccountName]?.trim();
  const connectionString = env[SETTINGS.storageConnectionString]?.trim();
  let table: TableClient;
  let queue: QueueClient;
  if (accountName) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      return {
        ok: false,
        error: { code: 'invalidSetting', setting: SETTINGS.storageAccountName, message: `${SETTINGS.storageAccountName} is not a storage account name: ${JSON.stringify(accountName)}` },
      };
    }
    const identity = credential ?? appCredential(env[SETTINGS.managedIdentityClientId]);
    table = new TableClient(`https://${accountName}.table.core.windows.net`, TABLES.pending, identity);
    queue = new QueueClient(`https://${accountName}.queue.core.windows.net/${QUEUES.evaluate}`, identity);
  } else if (connectionString) {
    table = TableClient.fromConnectionString(connectionString, TABLES.pending, { allowInsecureConnection: isPlainHttpConnection(connectionString) });
    queue = new QueueClient(connectionString, QUEUES.evaluate);
  } else {
    return {
      ok: false,
      error: {
        code: 'missingSetting',
        setting: SETTINGS.storageAccountName,
        message: `set ${SETTINGS.storageAccountName} (Azure, managed identity) or ${SETTINGS.storageConnectionString} (local storage)`,
      },
    };
  }
  return { ok: true, coalescer: createCoalescer({ table, queue, delaySeconds }), delaySeconds };
}

/** Another writer changed or removed the guard since we read it. */
function isRace(error: unknown): boolean {
  const status = statusOf(error);
  return status === 412 || status === 404;
}
