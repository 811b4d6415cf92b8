import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { useAzurite } from '../support/azurite.js';
import { QUEUES, SETTINGS, TABLES } from '../../lib/config/names.js';
import { apiHandler, dashboardHandler, signInSettings } from '../../functions/api.js';
import { SUB_A, nsgId } from './support.js';
import { startTestIssuer, type TestIssuer, type TestUser } from './issuer.js';

const azurite = useAzurite();
let issuer: TestIssuer;
const logged: string[] = [];

const reader: TestUser = { oid: '0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b', name: 'reader@contoso.example', roles: ['NsgWatch.Read'] };
const operator: TestUser = { oid: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', name: 'operator@contoso.example', roles: ['NsgWatch.Act'] };
const nobody: TestUser = { oid: '11112222-3333-4444-8555-666677778888', name: 'nobody@contoso.example', roles: [] };

beforeAll(async () => {
  issuer = await startTestIssuer();
  // What the deployment sets (infra/modules/function-app.bicep), pointing at the loopback issuer.
  process.env[SETTINGS.authIssuer] = issuer.issuer;
  process.env[SETTINGS.authClientId] = issuer.clientId;
  // The app settings the Functions host would give the app, pointing at Azurite.
  process.env[SETTINGS.storageConnectionString] = azurite.connectionString;
  process.env[SETTINGS.watchedSubscriptions] = SUB_A;
  process.env[SETTINGS.coalesceSeconds] = '30';
  // The deployment declares the queue and the coalescing table; here they are made by hand.
  await new QueueClient(azurite.connectionString, QUEUES.evaluate).createIfNotExists();
  await TableClient.fromConnectionString(azurite.connectionString, TABLES.pending, { allowInsecureConnection: true }).createTable();
});

afterAll(async () => {
  await issuer?.close();
});

function context(): InvocationContext {
  return new InvocationContext({ functionName: 'api', logHandler: (_level, ...args) => void logged.push(args.map(String).join(' ')) });
}

type Reply = { status: number; headers: Record<string, string>; text: string };

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}, handler = apiHandler): Promise<Reply> {
  const request = new HttpRequest({ method, url: `https://nsgwatch-func.azurewebsites.net${path}`, headers, ...(body !== undefined ? { body: { string: body } } : {}) });
  const response = await handler(request, context());
  const text = typeof response.body === 'string' ? response.body : response.body instanceof Uint8Array ? Buffer.from(response.body).toString('utf8') : '';
  return { status: response.status ?? 200, headers: (response.headers ?? {}) as Record<string, string>, text };
}

async function as(user: TestUser, method: string, path: string, body?: unknown, claims?: Record<string, unknown>): Promise<Reply> {
  const token = await issuer.token(user, claims);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return call(method, path, text, { authorization: `Bearer ${token}`, ...(text !== undefined ? { 'content-type': 'application/json' } : {}) });
}

function errorCode(reply: Reply): string {
  return (JSON.parse(reply.text) as { error: { code: string } }).error.code;
}

describe('functions/api (the http triggers)', () => {
  it('serves the findings API from Table Storage to a signed-in reader', async () => {
    const response = await as(reader, 'GET', '/api/findings?status=open');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ items: [] });
  });

  it('starts a scan for an operator', async () => {
    const queue = new QueueClient(azurite.connectionString, QUEUES.evaluate);
    const response = await as(operator, 'POST', '/api/scan');
    expect(response.status).toBe(202);
    expect(JSON.parse(response.text).started.subscriptions).toEqual([SUB_A]);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(1);
  });

  it('serves the dashboard under /dashboard/ with its security headers and sign-in settings, no data', async () => {
    const page = await call('GET', '/dashboard/', undefined, {}, dashboardHandler);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain(`connect-src 'self' ${new URL(issuer.issuer).origin}`);
    expect(page.text).toContain('<meta name="nsgwatch-api" content="/api/">');
    expect(page.text).toContain(`<meta name="nsgwatch-auth-issuer" content="${issuer.issuer}">`);
    expect(page.text).toContain(`<meta name="nsgwatch-auth-scope" content="api://${issuer.clientId}/access_as_user">`);
    const chart = await call('GET', '/dashboard/vendor/chart.umd.min.js', undefined, {}, dashboardHandler);
    expect(chart.status).toBe(200);
    expect(chart.headers['content-type']).toMatch(/^text\/javascript/);
    const redirect = await call('GET', '/dashboard?finding=abc', undefined, {}, dashboardHandler);
    expect(redirect.status).toBe(308);
    expect(redirect.headers['location']).toBe('/dashboard/?finding=abc');
    expect((await call('GET', '/dashboard/assets/..%2F..%2Fpackage.json', undefined, {}, dashboardHandler)).status).toBe(404);
    expect((await call('GET', '/dashboard/vendor/constructor', undefined, {}, dashboardHandler)).status).toBe(404);
    // The keyless dashboard function never falls through to the data routes.
    expect((await call('GET', '/dashboard/api/findings', undefined, {}, dashboardHandler)).status).toBe(404);
    expect((await call('GET', '/api/findings', undefined, {}, dashboardHandler)).status).toBe(404);
  });

  it('refuses an oversized body before the handlers see it', async () => {
    const response = await call('POST', '/api/suppressions', 'x'.repeat(70_000), { 'content-type': 'application/json' });
    expect(response.status).toBe(413);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await as(reader, 'GET', '/api/nothing');
    expect(response.status).toBe(404);
    expect(errorCode(response)).toBe('notFound');
  });
});

describe('sign-in: Entra ID access tokens validated against the issuer on loopback', () => {
  it('refuses a request with no token, and says how to sign in', async () => {
    const response = await call('GET', '/api/findings');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(errorCode(response)).toBe('unauthorized');
  });

  it('refuses a shared key in the URL or header: there is none', async () => {
    expect((await call('GET', '/api/findings?code=key')).status).toBe(401);
    expect((await call('GET', '/api/findings', undefined, { 'x-functions-key': 'key' })).status).toBe(401);
  });

  it.each([
    ['wrong audience', { aud: 'api://some-other-app' }],
    ['wrong issuer', { iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0' }],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200, nbf: Math.floor(Date.now() / 1000) - 7200 }],
    ['not yet valid', { nbf: Math.floor(Date.now() / 1000) + 3600 }],
    ['no expiry', { exp: undefined }],
    ['an ID token (no scope)', { scp: undefined }],
    ['another scope', { scp: 'User.Read' }],
  ])('refuses a token with %s', async (_name, claims) => {
    const response = await as(reader, 'GET', '/api/findings', undefined, claims);
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe('unauthorized');
  });

  it('refuses a token signed with a key the issuer never published', async () => {
    const token = await issuer.token(reader, {}, { forged: true });
    const response = await call('GET', '/api/findings', undefined, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(401);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const [, payload] = (await issuer.token(reader)).split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    expect((await call('GET', '/api/findings', undefined, { authorization: `Bearer ${unsigned}` })).status).toBe(401);
  });

  it('refuses forged platform principal headers, alone or next to a valid reader token', async () => {
    const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'roles', val: 'NsgWatch.Act' }], name_typ: 'name', role_typ: 'roles' })).toString('base64');
    const forged = { 'x-ms-client-principal': principal, 'x-ms-client-principal-name': 'admin@contoso.example', 'x-ms-client-principal-id': nobody.oid, 'x-ms-client-principal-idp': 'aad' };
    expect((await call('GET', '/api/findings', undefined, forged)).status).toBe(401);
    const token = await issuer.token(reader);
    const body = JSON.stringify({ ruleId: 'NSG-002', resourcePattern: nsgId('nsg-app'), reason: 'forged', expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    const response = await call('POST', '/api/suppressions', body, { ...forged, authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    expect(response.status).toBe(403);
    expect(errorCode(response)).toBe('forbidden');
  });

  it('refuses a signed-in caller with no role (403), and a reader who tries to act', async () => {
    const none = await as(nobody, 'GET', '/api/findings');
    expect(none.status).toBe(403);
    expect(JSON.parse(none.text).error.message).toContain('NsgWatch.Read');
    expect((await as(reader, 'POST', '/api/scan')).status).toBe(403);
    expect((await as(reader, 'DELETE', '/api/suppressions/abc')).status).toBe(403);
  });

  it('lets an operator suppress, with the token principal as the author in the suppression and the history', async () => {
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const refused = await as(operator, 'POST', '/api/suppressions', { ruleId: 'NSG-002', resourcePattern: nsgId('nsg-app'), reason: 'r', expiresAt, createdBy: 'someone-else' });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text).error.field).toBe('createdBy');
    const added = await as(operator, 'POST', '/api/suppressions', { ruleId: 'NSG-002', resourcePattern: nsgId('nsg-app'), reason: 'maintenance window', expiresAt });
    expect(added.status).toBe(201);
    const suppression = (JSON.parse(added.text) as { suppression: { id: string; createdBy: string } }).suppression;
    expect(suppression.createdBy).toBe('operator@contoso.example');
    const listed = await as(reader, 'GET', '/api/suppressions');
    expect(listed.status).toBe(200);
    expect(listed.text).toContain('operator@contoso.example');
    const removed = await as(operator, 'DELETE', `/api/suppressions/${suppression.id}`);
    expect(removed.status).toBe(200);
  });

  it('needs both sign-in settings, and an https issuer', () => {
    expect(signInSettings({})).toMatch(/must be set/);
    expect(signInSettings({ [SETTINGS.authIssuer]: 'http://login.example/t/v2.0', [SETTINGS.authClientId]: 'x' })).toMatch(/https/);
    expect(signInSettings({ [SETTINGS.authIssuer]: 'https://login.microsoftonline.com/t/v2.0/', [SETTINGS.authClientId]: 'x' })).toEqual({ issuer: 'https://login.microsoftonline.com/t/v2.0', clientId: 'x' });
  });
});
