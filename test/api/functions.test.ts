import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type Azurite } from '../../lib/local/azurite.js';
import { QUEUES, SETTINGS, TABLES } from '../../lib/config/names.js';
import { apiHandler } from '../../functions/api.js';
import { SUB_A } from './support.js';

let azurite: Azurite;
const logged: string[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
  // The app settings the Functions host would give the app, pointing at Azurite.
  process.env[SETTINGS.storageConnectionString] = azurite.connectionString;
  process.env[SETTINGS.watchedSubscriptions] = SUB_A;
  process.env[SETTINGS.coalesceSeconds] = '30';
  // The deployment declares the queue and the coalescing table; here they are made by hand.
  await new QueueClient(azurite.connectionString, QUEUES.evaluate).createIfNotExists();
  await TableClient.fromConnectionString(azurite.connectionString, TABLES.pending, { allowInsecureConnection: true }).createTable();
});

afterAll(async () => {
  await azurite?.stop();
});

function context(): InvocationContext {
  return new InvocationContext({ functionName: 'api', logHandler: (_level, ...args) => void logged.push(args.map(String).join(' ')) });
}

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  const request = new HttpRequest({ method, url: `https://nsgwatch-func.azurewebsites.net${path}`, headers, ...(body !== undefined ? { body: { string: body } } : {}) });
  const response = await apiHandler(request, context());
  const text = typeof response.body === 'string' ? response.body : response.body instanceof Uint8Array ? Buffer.from(response.body).toString('utf8') : '';
  return { status: response.status ?? 200, headers: (response.headers ?? {}) as Record<string, string>, text };
}

describe('functions/api (the http triggers)', () => {
  it('serves the findings API from Table Storage', async () => {
    const response = await call('GET', '/api/findings?status=open&code=key');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ items: [] });
  });

  it('starts a scan by queueing the watched subscription', async () => {
    const queue = new QueueClient(azurite.connectionString, QUEUES.evaluate);
    const response = await call('POST', '/api/scan', '', { 'x-ms-client-principal-name': 'ops@contoso.com' });
    expect(response.status).toBe(202);
    expect(JSON.parse(response.text).started.subscriptions).toEqual([SUB_A]);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(1);
  });

  it('serves the dashboard under /api/dashboard/ with its security headers', async () => {
    const page = await call('GET', '/api/dashboard/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('<meta name="nsgwatch-api" content="/api/">');
    const chart = await call('GET', '/api/dashboard/vendor/chart.umd.min.js');
    expect(chart.status).toBe(200);
    expect(chart.headers['content-type']).toMatch(/^text\/javascript/);
    const redirect = await call('GET', '/api/dashboard?finding=abc');
    expect(redirect.status).toBe(308);
    expect(redirect.headers['location']).toBe('/api/dashboard/?finding=abc');
    expect((await call('GET', '/api/dashboard/assets/..%2F..%2Fpackage.json')).status).toBe(404);
    expect((await call('GET', '/api/dashboard/vendor/constructor')).status).toBe(404);
  });

  it('refuses an oversized body before the handlers see it', async () => {
    const response = await call('POST', '/api/suppressions', 'x'.repeat(70_000), { 'content-type': 'application/json' });
    expect(response.status).toBe(413);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await call('GET', '/api/nothing');
    expect(response.status).toBe(404);
    expect(JSON.parse(response.text).error.code).toBe('notFound');
  });
});
