/** lib/api/entra.ts against the loopback issuer: what a caller sees when sign-in cannot be checked, and the principal it gets. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEntraAccess } from '../../lib/api/index.js';
import { startTestIssuer, type TestIssuer, type TestUser } from './issuer.js';
import { request } from './support.js';

let issuer: TestIssuer;
const operator: TestUser = { oid: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', name: 'operator@contoso.example', roles: ['NsgWatch.Act', 'Something.Else'] };

beforeAll(async () => {
  issuer = await startTestIssuer();
});

afterAll(async () => {
  await issuer?.close();
});

const bearer = async (user: TestUser, claims?: Record<string, unknown>): Promise<Record<string, string>> => ({ authorization: `Bearer ${await issuer.token(user, claims)}` });

describe('Entra ID access', () => {
  it('names the principal by its sign-in name and keeps only nsgwatch\'s roles', async () => {
    const access = createEntraAccess({ issuer: issuer.issuer, clientId: issuer.clientId });
    const decision = await access.authorize(request('GET', '/api/findings', undefined, await bearer(operator)), 'act');
    expect(decision).toEqual({ ok: true, principal: { id: operator.oid, name: 'operator@contoso.example', roles: ['act'] } });
  });

  it('accepts the v1-style audience api://<client id> too', async () => {
    const access = createEntraAccess({ issuer: issuer.issuer, clientId: issuer.clientId });
    const decision = await access.authorize(request('GET', '/api/findings', undefined, await bearer(operator, { aud: `api://${issuer.clientId}` })), 'read');
    expect(decision.ok).toBe(true);
  });

  it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer not-a-jwt', `Bearer a.b.c extra`])('refuses the Authorization header %s with 401', async (value) => {
    const access = createEntraAccess({ issuer: issuer.issuer, clientId: issuer.clientId });
    const decision = await access.authorize(request('GET', '/api/findings', undefined, { authorization: value }), 'read');
    expect(decision.ok).toBe(false);
    expect(!decision.ok && decision.error.status).toBe(401);
  });

  it('answers 503 with Retry-After when the issuer cannot be reached, and tries again on the next request', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const access = createEntraAccess({ issuer: `http://127.0.0.1:${port}/tenant/v2.0`, clientId: issuer.clientId, timeoutMs: 500 });
    for (let i = 0; i < 2; i++) {
      const decision = await access.authorize(request('GET', '/api/findings', undefined, await bearer(operator)), 'read');
      expect(decision.ok).toBe(false);
      if (!decision.ok) {
        expect(decision.error).toMatchObject({ status: 503, code: 'unavailable' });
        expect(decision.headers?.['retry-after']).toBe('5');
      }
    }
  });

  it('refuses to trust a discovery document that is missing or names another issuer (503)', async () => {
    const missing = createEntraAccess({ issuer: `${issuer.issuer}/extra`, clientId: issuer.clientId });
    const none = await missing.authorize(request('GET', '/api/findings', undefined, await bearer(operator)), 'read');
    expect(!none.ok && none.error.status).toBe(503);
    // A server that hands out a discovery document claiming to be the real tenant.
    const impostor = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: issuer.issuer, jwks_uri: `${issuer.issuer}/../discovery/v2.0/keys` }));
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    try {
      const other = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}/tenant/v2.0`;
      const access = createEntraAccess({ issuer: other, clientId: issuer.clientId });
      const decision = await access.authorize(request('GET', '/api/findings', undefined, await bearer(operator)), 'read');
      expect(decision.ok).toBe(false);
      expect(!decision.ok && decision.error.status).toBe(503);
      expect(!decision.ok && decision.error.message).toContain('names issuer');
    } finally {
      await new Promise<void>((resolve) => impostor.close(() => resolve()));
    }
  });
});
