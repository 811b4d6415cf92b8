import { createDefaultHttpClient } from '@azure/core-rest-pipeline';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { describe, expect, it } from 'vitest';
import {
  causeOfChange,
  coalescerFromEnvironment,
  createCoalescer,
  decodeEvaluateMessage,
  encodeEvaluateMessage,
  type ChangeCause,
  type ClaimOutcome,
  type Coalescer,
  type CoalescerOptions,
  type EvaluateMessage,
} from '../../lib/azure/coalesce.js';
import { scopeKey, subscriptionScope, type Scope } from '../../lib/azure/scopes.js';
import { QUEUES, SETTINGS, TABLES } from '../../lib/config/names.js';
import { useAzurite } from '../support/azurite.js';

const SUB = '5b0e1c9a-7d3f-4e2a-9b8c-1f2e3d4c5b6a';

const azurite = useAzurite();
let counter = 0;

function nsgScope(i: number): Scope {
  return { kind: 'nsg', id: `/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.network/networksecuritygroups/nsg-${i}`, subscriptionId: SUB };
}

function cause(n: number, extra: Partial<ChangeCause> = {}): ChangeCause {
  return {
    eventId: `event-${n}`,
    correlationId: `correlation-${Math.floor(n / 10)}`,
    operationName: 'Microsoft.Network/networkSecurityGroups/securityRules/write',
    eventTime: new Date(Date.UTC(2026, 0, 1, 0, 0, n % 60)).toISOString(),
    resourceId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg/securityRules/r${n}`,
    changedBy: `user${n % 3}@contoso.com`,
    ...extra,
  };
}

interface Store {
  tableName: string;
  queueName: string;
  clients(): { table: TableClient; queue: QueueClient };
  coalescer(options?: Partial<CoalescerOptions>): Coalescer;
  queue: QueueClient;
}

/** A fresh table and queue per test; each coalescer gets its own clients, like separate instances. */
async function freshStore(): Promise<Store> {
  counter++;
  const tableName = `pending${counter}x${Date.now() % 100000}`;
  const queueName = `evaluate-${counter}-${Date.now() % 100000}`;
  const clients = () => ({
    table: TableClient.fromConnectionString(azurite.connectionString, tableName, { allowInsecureConnection: true }),
    queue: new QueueClient(azurite.connectionString, queueName),
  });
  const first = createCoalescer({ ...clients(), delaySeconds: 0 });
  await first.ensureResources();
  return {
    tableName,
    queueName,
    clients,
    coalescer: (options = {}) => createCoalescer({ ...clients(), delaySeconds: 0, ...options }),
    queue: clients().queue,
  };
}

/** Receive (and delete) every visible message. */
async function drain(queue: QueueClient): Promise<{ text: string; decoded: EvaluateMessage }[]> {
  const out: { text: string; decoded: EvaluateMessage }[] = [];
  for (;;) {
    const batch = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
    if (batch.receivedMessageItems.length === 0) return out;
    for (const item of batch.receivedMessageItems) {
      const decoded = decodeEvaluateMessage(item.messageText);
      if (!decoded.ok) throw new Error(decoded.reason);
      out.push({ text: item.messageText, decoded: decoded.message });
      await queue.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

async function inParallel<T>(items: T[], width: number, work: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i] as T, i);
      }
    }),
  );
}

function claimedCauses(outcome: ClaimOutcome): ChangeCause[] {
  if (outcome.status !== 'claimed') throw new Error(`expected claimed, got ${outcome.status}`);
  return outcome.causes;
}

describe('coalescing on Azurite', () => {
  it('1,000 events on 10 scopes from 4 concurrent instances → one message per scope', async () => {
    const store = await freshStore();
    const instances = Array.from({ length: 4 }, () => store.coalescer());
    const events = Array.from({ length: 1000 }, (_, n) => ({ scope: nsgScope(n % 10), cause: cause(n) }));
    let enqueued = 0;
    await inParallel(events, 40, async (event, i) => {
      const outcome = await (instances[i % instances.length] as Coalescer).enqueueScope(event.scope, event.cause);
      if (outcome.status === 'enqueued') enqueued++;
    });
    expect(enqueued).toBe(10);
    const messages = await drain(store.queue);
    expect(messages.length).toBeLessThanOrEqual(20);
    expect(messages).toHaveLength(10);
    expect(new Set(messages.map((m) => m.decoded.key))).toEqual(new Set(events.slice(0, 10).map((e) => scopeKey(e.scope))));
  });

  it('the window message stays invisible for the coalescing delay', async () => {
    const store = await freshStore();
    const coalescer = store.coalescer({ delaySeconds: 1 });
    await coalescer.enqueueScope(nsgScope(0), cause(1));
    await coalescer.enqueueScope(nsgScope(0), cause(2));
    expect((await store.queue.getProperties()).approximateMessagesCount).toBe(1);
    expect((await store.queue.peekMessages()).peekedMessageItems).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 1300));
    expect((await store.queue.peekMessages()).peekedMessageItems).toHaveLength(1);
  });

  it('a claim returns the accumulated causes; the next burst opens a new window', async () => {
    const store = await freshStore();
    const coalescer = store.coalescer({ maxCauses: 25 });
    const scope = nsgScope(1);
    for (let n = 0; n < 30; n++) await coalescer.enqueueScope(scope, cause(n));
    const [first, ...rest] = await drain(store.queue);
    expect(rest).toHaveLength(0);
    const claim = await coalescer.claimScope(first?.text);
    expect(claim).toMatchObject({ status: 'claimed', evaluate: true, scope, causesTruncated: true });
    const causes = claimedCauses(claim);
    expect(causes.map((c) => c.eventId)).toEqual(Array.from({ length: 25 }, (_, n) => `event-${n}`));
    expect(causes[4]).toEqual(cause(4));

    // After the claim, later events open a new window: one more message, with only their causes.
    for (let n = 100; n < 110; n++) await coalescer.enqueueScope(scope, cause(n));
    const second = await drain(store.queue);
    expect(second).toHaveLength(1);
    expect(second[0]?.decoded.windowId).not.toBe(first?.decoded.windowId);
    const secondClaim = await coalescer.claimScope(second[0]?.text);
    expect(claimedCauses(secondClaim).map((c) => c.eventId)).toEqual(Array.from({ length: 10 }, (_, n) => `event-${100 + n}`));
    expect(secondClaim).toMatchObject({ causesTruncated: false });
  });

  it('two bursts around a claim, from concurrent instances, stay within the bound', async () => {
    const store = await freshStore();
    const instances = Array.from({ length: 3 }, () => store.coalescer());
    const burst = async (from: number) =>
      inParallel(Array.from({ length: 300 }, (_, n) => from + n), 30, async (n, i) => {
        await (instances[i % 3] as Coalescer).enqueueScope(nsgScope(n % 10), cause(n));
      });
    await burst(0);
    const firstWindow = await drain(store.queue);
    expect(firstWindow).toHaveLength(10);
    // A consumer claims every window while the second burst is already arriving.
    await Promise.all([burst(1000), ...firstWindow.map((m) => (instances[0] as Coalescer).claimScope(m.decoded))]);
    const secondWindow = await drain(store.queue);
    expect(secondWindow.length).toBeGreaterThanOrEqual(1);
    expect(firstWindow.length + secondWindow.length).toBeLessThanOrEqual(20);
  });

  it('duplicate and out-of-order events are recorded once and change nothing else', async () => {
    const store = await freshStore();
    const coalescer = store.coalescer();
    const scope = nsgScope(2);
    const outcomes = [];
    for (const n of [5, 5, 3, 5, 1, 3]) outcomes.push(await coalescer.enqueueScope(scope, cause(n)));
    expect(outcomes.map((o) => o.status)).toEqual(['enqueued', 'coalesced', 'coalesced', 'coalesced', 'coalesced', 'coalesced']);
    const [message] = await drain(store.queue);
    expect(claimedCauses(await coalescer.claimScope(message?.text)).map((c) => c.eventId)).toEqual(['event-5', 'event-3', 'event-1']);
  });

  it('a window no other event joined closes with one conditional delete', async () => {
    const store = await freshStore();
    const inner = createDefaultHttpClient();
    const methods: string[] = [];
    const table = TableClient.fromConnectionString(azurite.connectionString, store.tableName, {
      allowInsecureConnection: true,
      httpClient: { sendRequest: (request) => (methods.push(request.method), inner.sendRequest(request)) },
    });
    const coalescer = createCoalescer({ table, queue: store.queue, delaySeconds: 0 });
    await coalescer.enqueueScope(nsgScope(4), cause(1));
    const [message] = await drain(store.queue);
    expect(message?.decoded.guardEtag).toBeDefined();
    methods.length = 0;
    expect(claimedCauses(await coalescer.claimScope(message?.text))).toEqual([cause(1)]);
    expect(methods).toEqual(['DELETE']);
    // Closed: the next event opens a new window.
    expect((await coalescer.enqueueScope(nsgScope(4), cause(2))).status).toBe('enqueued');
  });

  it('a redelivered message (guard already claimed) still evaluates, with the cause that opened it', async () => {
    const store = await freshStore();
    const coalescer = store.coalescer();
    await coalescer.enqueueScope(nsgScope(3), cause(7));
    const [message] = await drain(store.queue);
    expect((await coalescer.claimScope(message?.text)).status).toBe('claimed');
    expect(await coalescer.claimScope(message?.text)).toEqual({
      status: 'alreadyClaimed',
      evaluate: true,
      scope: nsgScope(3),
      windowId: message?.decoded.windowId,
      causes: [cause(7)],
    });
  });

  it('an abandoned guard is taken over after the stale time, keeping its causes; the old message is superseded', async () => {
    const store = await freshStore();
    let now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const coalescer = store.coalescer({ delaySeconds: 0, staleAfterSeconds: 60, now: () => new Date(now) });
    const scope = nsgScope(4);
    await coalescer.enqueueScope(scope, cause(1));
    // The window's message is lost (taken off the queue, never claimed).
    const [lost] = await drain(store.queue);
    now += 30_000;
    expect((await coalescer.enqueueScope(scope, cause(2))).status).toBe('coalesced');
    now += 31_000;
    const takeover = await coalescer.enqueueScope(scope, cause(3));
    expect(takeover).toMatchObject({ status: 'enqueued', takeover: true });
    const [fresh] = await drain(store.queue);
    expect(await coalescer.claimScope(lost?.text)).toMatchObject({ status: 'superseded', evaluate: false, windowId: lost?.decoded.windowId });
    expect(claimedCauses(await coalescer.claimScope(fresh?.text)).map((c) => c.eventId)).toEqual(['event-1', 'event-2', 'event-3']);
  });

  it('a failed send releases the guard, so the redelivered event opens the window again', async () => {
    const store = await freshStore();
    const { table } = store.clients();
    const broken = createCoalescer({ table, queue: new QueueClient(azurite.connectionString, 'no-such-queue'), delaySeconds: 0 });
    await expect(broken.enqueueScope(nsgScope(5), cause(1))).rejects.toMatchObject({ statusCode: 404 });
    const healthy = store.coalescer();
    expect(await healthy.enqueueScope(nsgScope(5), cause(1))).toMatchObject({ status: 'enqueued', takeover: false });
    expect(await drain(store.queue)).toHaveLength(1);
  });

  it('keeps subscriptions apart and handles a subscription-wide scope', async () => {
    const store = await freshStore();
    const coalescer = store.coalescer();
    const other = { ...nsgScope(1), id: nsgScope(1).id.replace(SUB, '00000000-0000-0000-0000-000000000001'), subscriptionId: '00000000-0000-0000-0000-000000000001' };
    for (const scope of [nsgScope(1), other, subscriptionScope(SUB), nsgScope(1), subscriptionScope(SUB)]) await coalescer.enqueueScope(scope, cause(1));
    const messages = await drain(store.queue);
    expect(messages.map((m) => m.decoded.scope.kind).sort()).toEqual(['nsg', 'nsg', 'subscription']);
  });

  it('an unreadable message is reported, never thrown', async () => {
    const store = await freshStore();
    const coalescer = store.coalescer();
    for (const raw of ['not base64 json', 42, null, { v: 2 }, { v: 1, scope: { kind: 'nsg', id: 'x', subscriptionId: SUB }, windowId: 'w', openedAt: 'now' }]) {
      const outcome = await coalescer.claimScope(raw);
      expect(outcome.status).toBe('invalidMessage');
      expect(outcome.evaluate).toBe(false);
    }
  });
});

describe('coalescerFromEnvironment', () => {
  it('builds a working coalescer from the local connection string', async () => {
    const built = coalescerFromEnvironment({ [SETTINGS.storageConnectionString]: azurite.connectionString, [SETTINGS.coalesceSeconds]: '0' });
    if (!built.ok) throw new Error(built.error.message);
    expect(built.delaySeconds).toBe(0);
    await built.coalescer.ensureResources();
    await built.coalescer.enqueueScope(nsgScope(9), cause(1));
    const queue = new QueueClient(azurite.connectionString, QUEUES.evaluate);
    const [message] = await drain(queue);
    expect(message?.decoded.scope).toEqual(nsgScope(9));
    expect((await built.coalescer.claimScope(message?.text)).status).toBe('claimed');
    const table = TableClient.fromConnectionString(azurite.connectionString, TABLES.pending, { allowInsecureConnection: true });
    const left = [];
    for await (const entity of table.listEntities()) left.push(entity);
    expect(left).toHaveLength(0);
  });

  it('builds identity-based clients from the account name, with no key anywhere', () => {
    const built = coalescerFromEnvironment({ [SETTINGS.storageAccountName]: 'stnsgwatch01', [SETTINGS.managedIdentityClientId]: '11111111-2222-3333-4444-555555555555' });
    expect(built.ok).toBe(true);
  });

  it('defaults the delay to 10 seconds', () => {
    const built = coalescerFromEnvironment({ [SETTINGS.storageConnectionString]: 'UseDevelopmentStorage=true' });
    expect(built.ok && built.delaySeconds).toBe(10);
  });

  it.each([
    [{}, 'missingSetting', SETTINGS.storageAccountName],
    [{ [SETTINGS.storageAccountName]: 'Not An Account' }, 'invalidSetting', SETTINGS.storageAccountName],
    [{ [SETTINGS.storageAccountName]: 'st', [SETTINGS.coalesceSeconds]: 'ten' }, 'invalidSetting', SETTINGS.coalesceSeconds],
    [{ [SETTINGS.storageAccountName]: 'st', [SETTINGS.coalesceSeconds]: '-1' }, 'invalidSetting', SETTINGS.coalesceSeconds],
    [{ [SETTINGS.storageAccountName]: 'st', [SETTINGS.coalesceSeconds]: '999999999' }, 'invalidSetting', SETTINGS.coalesceSeconds],
  ])('%j → %s naming %s', (env, code, setting) => {
    const built = coalescerFromEnvironment(env);
    expect(built.ok).toBe(false);
    if (!built.ok) {
      expect(built.error).toMatchObject({ code, setting });
      expect(built.error.message).toContain(setting);
    }
  });
});

describe('message encoding', () => {
  const message: EvaluateMessage = { v: 1, scope: nsgScope(1), key: scopeKey(nsgScope(1)), windowId: 'w1', openedAt: '2026-01-01T00:00:00.000Z', firstCause: cause(1) };

  it('round-trips through base64 (queue), JSON text and the object the host hands over', () => {
    const wire = encodeEvaluateMessage(message);
    expect(wire).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(decodeEvaluateMessage(wire)).toEqual({ ok: true, message });
    expect(decodeEvaluateMessage(JSON.stringify(message))).toEqual({ ok: true, message });
    expect(decodeEvaluateMessage(JSON.parse(JSON.stringify(message)))).toEqual({ ok: true, message });
    expect(decodeEvaluateMessage(new TextEncoder().encode(wire))).toEqual({ ok: true, message });
  });

  it('recomputes the key instead of trusting it', () => {
    const forged = { ...message, key: scopeKey(nsgScope(2)) };
    expect(decodeEvaluateMessage(forged)).toEqual({ ok: true, message });
  });

  it('turns a change into its cause', () => {
    expect(
      causeOfChange({
        eventId: 'e',
        eventType: 'Microsoft.Resources.ResourceWriteSuccess',
        operation: 'write',
        resourceId: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkSecurityGroups/n',
        resourceType: 'Microsoft.Network/networkSecurityGroups',
        subscriptionId: 's',
        correlationId: 'c',
        operationName: 'Microsoft.Network/networkSecurityGroups/write',
        eventTime: '2026-01-01T00:00:00.000Z',
      }),
    ).toEqual({
      eventId: 'e',
      correlationId: 'c',
      operationName: 'Microsoft.Network/networkSecurityGroups/write',
      eventTime: '2026-01-01T00:00:00.000Z',
      resourceId: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkSecurityGroups/n',
    });
  });
});
