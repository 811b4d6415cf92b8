/**
 * Local mode has no sign-in, so the dev server keeps other callers out itself (DESIGN §12):
 * loopback only, its own Host and Origin only, and writes only as JSON. Real server, real HTTP
 * over loopback; the Host header is set by hand, as a DNS-rebinding page would have it.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonResponse, type Api, type ApiRequest } from '../../lib/api/index.js';
import { startDevServer, type DevServer } from '../../lib/dev/server.js';
import type { EventGridWebhook } from '../../lib/dev/webhook.js';

let server: DevServer;
const reached: string[] = [];

const api: Api = {
  handle: async (request: ApiRequest) => {
    reached.push(`${request.method} ${request.path}`);
    return jsonResponse(200, { ok: true });
  },
};
const webhook: EventGridWebhook = {
  handle: async (request: ApiRequest) => {
    reached.push(`webhook ${request.method}`);
    return jsonResponse(200, {});
  },
} as EventGridWebhook;

beforeAll(async () => {
  server = await startDevServer({ api, webhook, port: 0 });
});

afterAll(async () => {
  await server?.close();
});

function send(method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, method, path, headers: { host: `127.0.0.1:${server.port}`, 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const parsed = text === '' ? undefined : (JSON.parse(text) as { error?: { code?: string } });
        resolve({ status: res.statusCode ?? 0, ...(parsed?.error?.code !== undefined ? { code: parsed.error.code } : {}) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the dev server without sign-in', () => {
  it('listens on loopback only', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(startDevServer({ api, webhook, port: 0, host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
  });

  it('answers its own Host, by address or as localhost', async () => {
    expect((await send('GET', '/api/findings', {})).status).toBe(200);
    expect((await send('GET', '/api/findings', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it.each([
    ['another host name (DNS rebinding)', `attacker.example:${server?.port ?? 0}`],
    ['its address on another port', '127.0.0.1:1'],
    ['a bare address without the port', '127.0.0.1'],
  ])('refuses a request whose Host is %s', async (_name, host) => {
    const before = reached.length;
    const reply = await send('GET', '/api/findings', { host: host.replace(':0', `:${server.port}`) });
    expect(reply).toEqual({ status: 403, code: 'forbidden' });
    expect(reached.length).toBe(before);
  });

  it('refuses a request from a page on another origin, reads and writes alike', async () => {
    for (const origin of ['https://attacker.example', 'http://localhost:1', 'null']) {
      expect(await send('GET', '/api/findings', { origin })).toEqual({ status: 403, code: 'forbidden' });
      expect(await send('POST', '/api/scan', { origin, 'content-type': 'application/json' }, '{}')).toEqual({ status: 403, code: 'forbidden' });
    }
    expect((await send('POST', '/api/scan', { origin: `http://127.0.0.1:${server.port}`, 'content-type': 'application/json' }, '{}')).status).toBe(200);
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('refuses a %s that is not JSON', async (method) => {
    const before = reached.length;
    expect(await send(method, '/api/suppressions', {}, '')).toEqual({ status: 415, code: 'unsupportedMediaType' });
    expect(await send(method, '/api/suppressions', { 'content-type': 'text/plain' }, '{}')).toEqual({ status: 415, code: 'unsupportedMediaType' });
    expect(await send(method, '/api/suppressions', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=b')).toEqual({ status: 415, code: 'unsupportedMediaType' });
    expect(await send(method, '/api/suppressions', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--')).toEqual({ status: 415, code: 'unsupportedMediaType' });
    expect(reached.length).toBe(before);
    expect(await send(method, '/api/suppressions', { 'content-type': 'application/json; charset=utf-8' }, '{}')).toEqual({ status: 200 });
  });

  it('takes Event Grid deliveries as JSON and CloudEvents', async () => {
    expect((await send('POST', '/runtime/webhooks/eventgrid?functionName=onResourceChange', { 'content-type': 'application/cloudevents-batch+json' }, '[]')).status).toBe(200);
    expect((await send('POST', '/runtime/webhooks/eventgrid?functionName=onResourceChange', { 'content-type': 'text/plain' }, '[]')).status).toBe(415);
  });
});
