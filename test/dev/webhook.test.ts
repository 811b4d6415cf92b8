import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { useAzurite } from '../support/azurite.js';
import { causeOfChange, createCoalescer, decodeEvaluateMessage, type Coalescer } from '../../lib/azure/coalesce.js';
import { parseEvents } from '../../lib/azure/events.js';
import { scopesForChange } from '../../lib/azure/scopes.js';
import { handleResourceEvents } from '../../lib/pipeline/handlers.js';
import { createApi, localAccess } from '../../lib/api/index.js';
import { createQueueScanStarter } from '../../lib/api/scan.js';
import { createEstateFlowChecker } from '../../lib/api/flow-check.js';
import { fileSource } from '../../lib/pipeline/file-source.js';
import { createFindingsStore } from '../../lib/store/index.js';
import { startDevServer, type DevServer } from '../../lib/dev/server.js';
import { createEventGridWebhook, type DeliveryReport } from '../../lib/dev/webhook.js';
import { cloudEvent, eventGridEvent } from '../../lib/dev/events.js';
import { DEMO_ACTORS, DEMO_TENANT, demoIds } from '../../lib/dev/script.js';

const CORPUS = path.resolve(process.cwd(), '../shared/corpus/eventgrid/rest-api-specs-samples');
const corpus = (schema: 'event-grid-schema' | 'cloud-events-schema', name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(CORPUS, schema, name), 'utf8')) as Record<string, unknown>;

const azurite = useAzurite();
let server: DevServer;
let queue: QueueClient;
let coalescer: Coalescer;
const reports: DeliveryReport[] = [];

/** The Event Grid trigger's own handler: parse → scopes → coalesce onto the queue. */
async function onResourceChange(event: Record<string, unknown>): Promise<void> {
  await handleResourceEvents(event, { coalescer, log: () => undefined });
}

beforeAll(async () => {
  queue = new QueueClient(azurite.connectionString, `evaluate-webhook-${process.pid}`);
  coalescer = createCoalescer({
    table: TableClient.fromConnectionString(azurite.connectionString, `pendingwebhook${process.pid}`, { allowInsecureConnection: true }),
    queue,
    delaySeconds: 60,
  });
  await coalescer.ensureResources();
  const source = fileSource({ directory: path.resolve(process.cwd(), 'samples/estate') });
  const api = createApi({
    access: localAccess(),
    store: createFindingsStore({ connection: { kind: 'connectionString', connectionString: azurite.connectionString }, tables: { findings: `fwh${process.pid}`, suppressions: `swh${process.pid}` } }),
    rules: () => [],
    flow: createEstateFlowChecker(source),
    scan: createQueueScanStarter({ coalescer, subscriptions: () => source.subscriptions() }),
  });
  const webhook = createEventGridWebhook({ functionName: 'onResourceChange', deliver: onResourceChange, onDelivery: (r) => reports.push(r) });
  server = await startDevServer({ api, webhook, port: 0 });
});

afterAll(async () => {
  await server?.close();
});

const WEBHOOK = '/runtime/webhooks/eventgrid?functionName=onResourceChange';

async function post(body: string, contentType: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> | undefined; headers: Headers }> {
  const response = await fetch(`${server.url}${WEBHOOK}`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
}

/** Messages on the evaluation queue; they sit there delayed (coalescing), so they are counted, not peeked. */
async function queuedCount(): Promise<number> {
  return (await queue.getProperties()).approximateMessagesCount ?? 0;
}

const nsgRule = demoIds.rule('nsg-app', 'AllowSshFromInternet');
const change = { resourceId: nsgRule, operation: 'write' as const, actor: DEMO_ACTORS.dana, tenantId: DEMO_TENANT, time: new Date('2026-01-05T10:00:00Z') };

describe('the Event Grid webhook endpoint over HTTP', () => {
  it('completes the SubscriptionValidation handshake with the validation code', async () => {
    const body = JSON.stringify([
      {
        id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
        topic: '/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
        subject: '',
        data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://rp-eastus2.eventgrid.azure.net/api/subscriptions/x/validate?id=y&t=z' },
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: '2018-01-25T22:12:19.4556811Z',
        metadataVersion: '1',
        dataVersion: '1',
      },
    ]);
    const response = await post(body, 'application/json', { 'aeg-event-type': 'SubscriptionValidation' });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
  });

  it('answers the CloudEvents abuse-protection handshake (OPTIONS) with the allowed origin', async () => {
    const response = await fetch(`${server.url}${WEBHOOK}`, { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    const missing = await fetch(`${server.url}${WEBHOOK}`, { method: 'OPTIONS' });
    expect(missing.status).toBe(400);
  });

  const accepted: { name: string; body: () => string; contentType: string; delivered: number; queued: number }[] = [
    { name: 'the corpus Event Grid schema sample (a storage account: not watched)', body: () => JSON.stringify([corpus('event-grid-schema', 'resource_write_success.json')]), contentType: 'application/json', delivered: 1, queued: 0 },
    { name: 'the corpus CloudEvents sample, single', body: () => JSON.stringify(corpus('cloud-events-schema', 'resource_delete_success.json')), contentType: 'application/cloudevents+json', delivered: 1, queued: 0 },
    { name: 'an NSG rule write in the Event Grid schema', body: () => JSON.stringify([eventGridEvent(change)]), contentType: 'application/json', delivered: 1, queued: 1 },
    {
      name: 'a CloudEvents batch: a second write to the same NSG coalesces, a subnet write adds a scope',
      body: () => JSON.stringify([cloudEvent(change), cloudEvent({ ...change, resourceId: demoIds.subnet('vnet-spoke-data', 'snet-egress') })]),
      contentType: 'application/cloudevents-batch+json',
      delivered: 2,
      queued: 1,
    },
  ];
  it.each(accepted)('accepts $name', async ({ body, contentType, delivered, queued }) => {
    const before = await queuedCount();
    const response = await post(body(), contentType, { 'aeg-event-type': 'Notification' });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ delivered });
    expect((await queuedCount()) - before).toBe(queued);
  });

  it('puts the scope, the cause and who made the change on the queue', async () => {
    const fresh = new QueueClient(azurite.connectionString, `evaluate-cause-${process.pid}`);
    const local = createCoalescer({
      table: TableClient.fromConnectionString(azurite.connectionString, `pendingcause${process.pid}`, { allowInsecureConnection: true }),
      queue: fresh,
      delaySeconds: 0,
    });
    await local.ensureResources();
    const parsed = await parseEvents(JSON.stringify([eventGridEvent({ ...change, id: 'evt-42', correlationId: 'corr-42' })]));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok || parsed.events[0]?.kind !== 'change') return;
    const scopes = scopesForChange(parsed.events[0].change);
    const [scope] = scopes.ok ? scopes.scopes : [];
    expect(scope).toMatchObject({ kind: 'nsg', id: demoIds.nsg('nsg-app').toLowerCase() });
    if (scope === undefined) return;
    await local.enqueueScope(scope, causeOfChange(parsed.events[0].change));
    const [message] = (await fresh.receiveMessages()).receivedMessageItems;
    const decoded = decodeEvaluateMessage(message?.messageText ?? '');
    expect(decoded.ok && decoded.message.firstCause).toMatchObject({ eventId: 'evt-42', correlationId: 'corr-42', changedBy: DEMO_ACTORS.dana.upn });
  });

  const refused: { name: string; body: string; contentType: string; status: number; code: string }[] = [
    { name: 'a body that is not JSON', body: '[{"id": ', contentType: 'application/json', status: 400, code: 'invalidJson' },
    { name: 'an Event Grid delivery that is not an array', body: JSON.stringify(eventGridEvent(change)), contentType: 'application/json', status: 400, code: 'invalidField' },
    { name: 'a single CloudEvent sent as an array', body: JSON.stringify([cloudEvent(change)]), contentType: 'application/cloudevents+json', status: 400, code: 'invalidField' },
    { name: 'a CloudEvents batch that is an object', body: JSON.stringify(cloudEvent(change)), contentType: 'application/cloudevents-batch+json', status: 400, code: 'invalidField' },
    { name: 'an empty array', body: '[]', contentType: 'application/json', status: 400, code: 'invalidField' },
    { name: 'events of no known schema', body: JSON.stringify([{ hello: 'world' }]), contentType: 'application/json', status: 400, code: 'unknownSchema' },
    { name: 'an event without its correlation id', body: JSON.stringify([{ ...eventGridEvent(change), data: { resourceUri: nsgRule, operationName: 'x/write' } }]), contentType: 'application/json', status: 400, code: 'missingField' },
    { name: 'a form post', body: 'a=b', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'unsupportedMediaType' },
    { name: 'a body over 1 MB', body: JSON.stringify([{ ...eventGridEvent(change), pad: 'x'.repeat(1_100_000) }]), contentType: 'application/json', status: 413, code: 'payloadTooLarge' },
  ];
  it.each(refused)('refuses $name with $status and a reason, and keeps serving', async ({ body, contentType, status, code }) => {
    const response = await post(body, contentType);
    expect(response.status).toBe(status);
    const error = response.json?.['error'] as { code: string; message: string };
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
    const alive = await fetch(`${server.url}/api/findings?limit=1`);
    expect(alive.status).toBe(200);
  });

  it('accepts the good events of a mixed batch and reports the bad one', async () => {
    const response = await post(JSON.stringify([eventGridEvent(change), { eventType: 'Microsoft.Resources.ResourceWriteSuccess', id: 'broken' }]), 'application/json');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ received: 2, delivered: 1 });
    expect((response.json?.['rejected'] as unknown[]).length).toBe(1);
  });

  it('answers a validation and hands over the change events of a mixed batch, saying so', async () => {
    const validation = {
      id: 'v-1',
      topic: '/subscriptions/x',
      subject: '',
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: '2026-01-05T10:00:00Z',
      dataVersion: '1',
      data: { validationCode: 'CODE-42', validationUrl: 'https://example.invalid/validate' },
    };
    const before = await queuedCount();
    const response = await post(JSON.stringify([validation, eventGridEvent({ ...change, id: 'mixed-1', resourceId: demoIds.rule('nsg-web', 'AllowHttps') })]), 'application/json');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ validationResponse: 'CODE-42', received: 2, delivered: 1 });
    expect(await queuedCount()).toBe(before + 1);
  });

  it('refuses an event that can never be stored with a 400 Event Grid does not retry, not a 503', async () => {
    const long = `${demoIds.rule('nsg-app', 'x')}${'y'.repeat(40_000)}`;
    const response = await post(JSON.stringify([eventGridEvent({ ...change, id: 'long-1', resourceId: long })]), 'application/json');
    expect(response.status).toBe(400);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(JSON.stringify(response.json)).toMatch(/resource id is 4\d{4} characters/);
  });

  it('names the true limit when a delivery is too large', async () => {
    const response = await post(JSON.stringify([{ ...eventGridEvent(change), pad: 'x'.repeat(1_100_000) }]), 'application/json');
    expect(response.status).toBe(413);
    expect((response.json?.['error'] as { message: string }).message).toMatch(/the limit is 1048576 bytes/);
  });

  it('answers 404 for another function name and 405 for GET', async () => {
    expect((await fetch(`${server.url}/runtime/webhooks/eventgrid?functionName=other`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' })).status).toBe(404);
    expect((await fetch(`${server.url}${WEBHOOK}`)).status).toBe(405);
  });

  it('reported every delivery it handed over', () => {
    expect(reports.reduce((n, r) => n + r.delivered, 0)).toBeGreaterThanOrEqual(5);
  });
});

describe('events built for the demo', () => {
  const shapes: { name: string; corpusFile: [schema: 'event-grid-schema' | 'cloud-events-schema', file: string]; built: () => Record<string, unknown> }[] = [
    { name: 'Event Grid schema write', corpusFile: ['event-grid-schema', 'resource_write_success.json'], built: () => eventGridEvent(change) },
    { name: 'Event Grid schema delete', corpusFile: ['event-grid-schema', 'resource_delete_success.json'], built: () => eventGridEvent({ ...change, operation: 'delete' }) },
    { name: 'CloudEvents write', corpusFile: ['cloud-events-schema', 'resource_write_success.json'], built: () => cloudEvent(change) },
  ];
  it.each(shapes)('$name has the fields of the real sample', ({ corpusFile, built }) => {
    const real = corpus(...corpusFile);
    const ours = built();
    expect(Object.keys(ours).sort()).toEqual(Object.keys(real).sort());
    const realData = real['data'] as Record<string, unknown>;
    const ourData = ours['data'] as Record<string, unknown>;
    expect(Object.keys(ourData).sort()).toEqual(Object.keys(realData).sort());
    expect(ours['eventType'] ?? ours['type']).toBe(real['eventType'] ?? real['type']);
  });

  it('parse back to the change, with the upn as who changed it', async () => {
    for (const event of [eventGridEvent(change), cloudEvent(change)]) {
      const parsed = await parseEvents(event);
      expect(parsed.ok && parsed.events[0]).toMatchObject({
        kind: 'change',
        change: { resourceId: nsgRule, operation: 'write', changedBy: DEMO_ACTORS.dana.upn, operationName: 'Microsoft.Network/networkSecurityGroups/securityRules/write' },
      });
    }
  });
});
