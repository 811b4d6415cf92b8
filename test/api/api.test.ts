import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { useAzurite } from '../support/azurite.js';
import { createCoalescer } from '../../lib/azure/coalesce.js';
import { fileSource } from '../../lib/pipeline/file-source.js';
import { createApi, localAccess, type Api, type ApiDeps, type ApiResponse } from '../../lib/api/index.js';
import { createQueueScanStarter } from '../../lib/api/scan.js';
import type { FindingsStore, StoredFinding } from '../../lib/store/index.js';
import { CAUSE, SUB_A, SUB_B, evaluation, finding, newStore, nsgId, request } from './support.js';
import { createEstateFlowChecker } from '../../lib/api/flow-check.js';
import { ruleInfos } from '../../lib/runtime/catalogue.js';
import { RULES } from '../../lib/rules/index.js';

const SAMPLE_ESTATE = path.resolve(process.cwd(), 'samples/estate');

const azurite = useAzurite();
let store: FindingsStore;
let api: Api;
let queue: QueueClient;

const app = nsgId('nsg-app');
const shared = nsgId('nsg-shared');
const web = nsgId('nsg-web');
const orphan = nsgId('nsg-orphan');
const db = nsgId('nsg-db');
const other = nsgId('nsg-b1', SUB_B);

beforeAll(async () => {
  store = newStore(azurite.connectionString);
  const source = fileSource({ directory: SAMPLE_ESTATE });
  const table = TableClient.fromConnectionString(azurite.connectionString, `pending${process.pid}`, { allowInsecureConnection: true });
  queue = new QueueClient(azurite.connectionString, `evaluate-api-${process.pid}`);
  const coalescer = createCoalescer({ table, queue, delaySeconds: 30 });
  await coalescer.ensureResources();
  const deps: ApiDeps = {
    // The signed-in caller; test/api/access.test.ts exercises real token validation.
    access: localAccess('lee@contoso.com'),
    store,
    rules: ruleInfos,
    flow: createEstateFlowChecker(source),
    scan: createQueueScanStarter({ coalescer, subscriptions: async () => [...(await source.subscriptions()), SUB_B] }),
  };
  api = createApi(deps);
  await store.applyEvaluation(
    evaluation([app, shared, web, orphan, db], [
      finding('NSG-002', app, 'high', 'SSH (22/TCP) is reachable from the Internet'),
      finding('NSG-001', shared, 'high', 'RDP (3389) is reachable from the Internet <script>alert(1)</script>'),
      finding('NSG-004', web, 'low', 'HTTPS is reachable from the Internet'),
      finding('NSG-012', orphan, 'info', 'nsg-orphan is associated with nothing'),
      finding('NSG-005', db, 'high', 'SQL is reachable from the Internet'),
    ]),
    CAUSE,
  );
  await store.applyEvaluation(evaluation([other], [finding('NSG-003', other, 'medium', 'UDP reachable')]), CAUSE);
  // nsg-db is fixed: its finding resolves.
  await store.applyEvaluation(evaluation([db], []), { ...CAUSE, eventId: 'evt-2', changedBy: 'sam.okafor@contoso.com' });
});


function json(response: ApiResponse): Record<string, unknown> {
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return JSON.parse(typeof response.body === 'string' ? response.body : Buffer.from(response.body).toString('utf8')) as Record<string, unknown>;
}

function items(response: ApiResponse): StoredFinding[] {
  return json(response)['items'] as StoredFinding[];
}

describe('GET /api/findings', () => {
  const cases: { query: string; expected: string[] }[] = [
    { query: '', expected: ['NSG-001', 'NSG-002', 'NSG-003', 'NSG-004', 'NSG-005', 'NSG-012'] },
    { query: 'status=open', expected: ['NSG-001', 'NSG-002', 'NSG-003', 'NSG-004', 'NSG-012'] },
    { query: 'status=resolved', expected: ['NSG-005'] },
    { query: 'status=suppressed', expected: [] },
    { query: 'severity=high', expected: ['NSG-001', 'NSG-002', 'NSG-005'] },
    { query: 'status=open&severity=high', expected: ['NSG-001', 'NSG-002'] },
    { query: 'ruleId=NSG-004', expected: ['NSG-004'] },
    { query: `resource=${encodeURIComponent(app.toUpperCase())}`, expected: ['NSG-002'] },
    { query: `subscription=${SUB_B}`, expected: ['NSG-003'] },
    { query: `subscription=${SUB_A.toUpperCase()}&severity=medium`, expected: [] },
    { query: 'code=function-key-is-ignored', expected: ['NSG-001', 'NSG-002', 'NSG-003', 'NSG-004', 'NSG-005', 'NSG-012'] },
  ];
  it.each(cases)('?$query', async ({ query, expected }) => {
    const response = await api.handle(request('GET', `/api/findings?${query}`));
    expect(response.status).toBe(200);
    expect(items(response).map((f) => f.ruleId).sort()).toEqual(expected);
  });

  it('pages with limit and continuationToken until every finding was seen once', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ limit: '2' });
      if (token) query.set('continuationToken', token);
      const response = await api.handle(request('GET', `/api/findings?${query}`));
      expect(response.status).toBe(200);
      const page = json(response);
      const got = page['items'] as StoredFinding[];
      expect(got.length).toBeLessThanOrEqual(2);
      seen.push(...got.map((f) => f.id));
      token = page['continuationToken'] as string | undefined;
      pages += 1;
    } while (token !== undefined && pages < 10);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(6);
    expect(seen.length).toBe(6);
  });

  const invalid: { query: string; field: string; code?: string }[] = [
    { query: 'status=bogus', field: 'status' },
    { query: 'severity=HIGH', field: 'severity' },
    { query: 'limit=0', field: 'limit' },
    { query: 'limit=501', field: 'limit' },
    { query: 'limit=ten', field: 'limit' },
    { query: 'limit=-1', field: 'limit' },
    { query: `ruleId=${encodeURIComponent('<script>')}`, field: 'ruleId' },
    { query: 'resource=nsg-app', field: 'resource' },
    { query: `resource=/subscriptions/${'x'.repeat(1100)}`, field: 'resource' },
    { query: 'subscription=not-a-guid', field: 'subscription' },
    { query: 'status=open&status=resolved', field: 'status' },
    { query: `continuationToken=${'t'.repeat(5000)}`, field: 'continuationToken' },
    { query: 'sort=severity', field: 'sort', code: 'unknownParameter' },
    { query: 'continuationToken=not-one-of-ours', field: 'continuationToken' },
  ];
  it.each(invalid)('refuses ?$query naming $field', async ({ query, field, code }) => {
    const response = await api.handle(request('GET', `/api/findings?${query}`));
    expect(response.status).toBe(400);
    const error = json(response)['error'] as Record<string, unknown>;
    expect(error).toMatchObject({ code: code ?? 'invalidField', field });
    expect(typeof error['message']).toBe('string');
    expect((error['message'] as string).length).toBeLessThan(300);
  });
});

describe('GET /api/findings/{id}', () => {
  it('returns the finding with its history, newest state and who changed it', async () => {
    const [resolved] = items(await api.handle(request('GET', '/api/findings?status=resolved')));
    expect(resolved).toBeDefined();
    const response = await api.handle(request('GET', `/api/findings/${encodeURIComponent(resolved?.id ?? '')}`));
    expect(response.status).toBe(200);
    const body = json(response);
    expect((body['finding'] as StoredFinding).ruleId).toBe('NSG-005');
    const history = body['history'] as { kind: string; changedBy?: string; eventId?: string }[];
    expect(history.map((h) => h.kind)).toEqual(['opened', 'resolved']);
    expect(history.map((h) => h.changedBy)).toEqual(['dana.whitfield@contoso.com', 'sam.okafor@contoso.com']);
    expect(history.map((h) => h.eventId)).toEqual(['evt-1', 'evt-2']);
  });

  it('answers 404 for an unknown id', async () => {
    const response = await api.handle(request('GET', '/api/findings/no-such-finding'));
    expect(response.status).toBe(404);
    expect(json(response)['error']).toMatchObject({ code: 'notFound' });
  });
});

describe('suppressions', () => {
  it('round trip: add mutes the finding, list shows it, delete reopens it', async () => {
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const added = await api.handle(
      request('POST', '/api/suppressions', { ruleId: 'NSG-004', resourcePattern: web, reason: 'public web tier, reviewed', expiresAt }),
    );
    expect(added.status).toBe(201);
    const suppression = json(added)['suppression'] as { id: string; createdBy: string; ruleId: string };
    expect(suppression).toMatchObject({ ruleId: 'NSG-004', createdBy: 'lee@contoso.com' });
    expect(json(added)['transitions']).toBe(1);

    expect(items(await api.handle(request('GET', '/api/findings?status=suppressed'))).map((f) => f.ruleId)).toEqual(['NSG-004']);
    const listed = json(await api.handle(request('GET', '/api/suppressions')))['items'] as { id: string; active: boolean }[];
    expect(listed).toContainEqual(expect.objectContaining({ id: suppression.id, active: true }));

    const removed = await api.handle(request('DELETE', `/api/suppressions/${encodeURIComponent(suppression.id)}`));
    expect(removed.status).toBe(200);
    expect(json(removed)).toMatchObject({ removed: suppression.id, transitions: 1 });
    const [reopened] = items(await api.handle(request('GET', '/api/findings?ruleId=NSG-004')));
    expect(reopened?.status).toBe('open');
    const detail = json(await api.handle(request('GET', `/api/findings/${encodeURIComponent(reopened?.id ?? '')}`)));
    const history = detail['history'] as { kind: string; changedBy?: string }[];
    expect(history.map((h) => h.kind)).toEqual(['opened', 'suppressed', 'suppressionExpired']);
    // The signed-in principal made and ended the suppression; the history says so.
    expect(history.slice(1).map((h) => h.changedBy)).toEqual(['lee@contoso.com', 'lee@contoso.com']);

    const again = await api.handle(request('DELETE', `/api/suppressions/${encodeURIComponent(suppression.id)}`));
    expect(again.status).toBe(404);
  });

  const future = new Date(Date.now() + 86_400_000).toISOString();
  const valid = { ruleId: 'NSG-002', resourcePattern: '*/nsg-app', reason: 'accepted', expiresAt: future };
  const invalid: { name: string; body: unknown; field?: string; status?: number; code?: string }[] = [
    { name: 'a missing reason', body: { ...valid, reason: undefined }, field: 'reason' },
    { name: 'an empty reason', body: { ...valid, reason: '   ' }, field: 'reason' },
    { name: 'a reason too long', body: { ...valid, reason: 'x'.repeat(1001) }, field: 'reason' },
    { name: 'a rule id with markup', body: { ...valid, ruleId: '<b>' }, field: 'ruleId' },
    { name: 'a number as rule id', body: { ...valid, ruleId: 2 }, field: 'ruleId' },
    { name: 'an expiry in the past', body: { ...valid, expiresAt: '2001-01-01T00:00:00Z' }, field: 'expiresAt' },
    { name: 'an expiry beyond a year', body: { ...valid, expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString() }, field: 'expiresAt' },
    { name: 'an expiry that is not a date', body: { ...valid, expiresAt: 'next week' }, field: 'expiresAt' },
    { name: 'an expiry on 30 February', body: { ...valid, expiresAt: `${new Date().getUTCFullYear() + 1}-02-30` }, field: 'expiresAt' },
    { name: 'an expiry at 24:00', body: { ...valid, expiresAt: `${future.slice(0, 10)}T24:00:00Z` }, field: 'expiresAt' },
    { name: 'an unknown field', body: { ...valid, expires: future }, field: 'expires' },
    { name: 'an array body', body: [valid] },
    { name: 'a body that is not JSON', body: '{"ruleId": ', code: 'invalidJson' },
  ];
  it.each(invalid)('refuses $name', async ({ body, field, status, code }) => {
    const response = await api.handle(request('POST', '/api/suppressions', body));
    expect(response.status).toBe(status ?? 400);
    expect(json(response)['error']).toMatchObject({ code: code ?? 'invalidField', ...(field ? { field } : {}) });
  });

  it('refuses a form post (415) and an oversized body (413)', async () => {
    const form = await api.handle(request('POST', '/api/suppressions', 'ruleId=NSG-002', { 'content-type': 'application/x-www-form-urlencoded' }));
    expect(form.status).toBe(415);
    const big = await api.handle(request('POST', '/api/suppressions', { ...valid, reason: 'x'.repeat(70_000) }));
    expect(big.status).toBe(413);
    expect(json(big)['error']).toMatchObject({ code: 'payloadTooLarge' });
  });
});

describe('routing', () => {
  const cases: { method: string; path: string; status: number; allow?: string }[] = [
    { method: 'GET', path: '/api/nothing-here', status: 404 },
    { method: 'GET', path: '/api/findings/a/b', status: 404 },
    { method: 'DELETE', path: '/api/findings', status: 405, allow: 'GET' },
    { method: 'PUT', path: '/api/suppressions', status: 405, allow: 'GET, POST' },
    { method: 'GET', path: '/api/flow', status: 405, allow: 'POST' },
    { method: 'POST', path: '/api/rules', status: 405, allow: 'GET' },
    { method: 'GET', path: '/api/scan', status: 405, allow: 'POST' },
    { method: 'GET', path: '/api/findings/%E0%A4%A', status: 400 },
  ];
  it.each(cases)('$method $path → $status', async ({ method, path: p, status, allow }) => {
    const response = await api.handle(request(method, p));
    expect(response.status).toBe(status);
    if (allow) expect(response.headers['allow']).toBe(allow);
    expect(json(response)['error']).toHaveProperty('message');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
  });
});

describe('GET /api/summary', () => {
  it('counts open findings by severity and rule, and a trend that adds up to the history', async () => {
    const response = await api.handle(request('GET', '/api/summary'));
    expect(response.status).toBe(200);
    const summary = json(response) as { open: number; openBySeverity: Record<string, number>; openByRule: { ruleId: string; count: number }[]; trend: { points: { counts: Record<string, number>; open: number }[] } };
    const open = items(await api.handle(request('GET', '/api/findings?status=open')));
    expect(summary.open).toBe(open.length);
    expect(summary.openBySeverity).toEqual({
      critical: 0,
      high: open.filter((f) => f.severity === 'high').length,
      medium: open.filter((f) => f.severity === 'medium').length,
      low: open.filter((f) => f.severity === 'low').length,
      info: open.filter((f) => f.severity === 'info').length,
    });
    expect(summary.openByRule.map((r) => r.ruleId).sort()).toEqual(open.map((f) => f.ruleId).sort());
    const history = await store.listHistory();
    const opened = summary.trend.points.reduce((n, p) => n + (p.counts['opened'] ?? 0), 0);
    expect(opened).toBe(history.filter((h) => h.kind === 'opened').length);
    expect(summary.trend.points.at(-1)?.open).toBe(open.length);
  });

  it('validates days', async () => {
    expect((await api.handle(request('GET', '/api/summary?days=0'))).status).toBe(400);
    expect((await api.handle(request('GET', '/api/summary?days=7'))).status).toBe(200);
  });
});

describe('POST /api/scan', () => {
  it('queues one subscription scope per watched subscription and answers 202', async () => {
    const before = (await queue.getProperties()).approximateMessagesCount ?? 0;
    const response = await api.handle(request('POST', '/api/scan'));
    expect(response.status).toBe(202);
    const started = json(response)['started'] as { scanId: string; subscriptions: string[] };
    expect(started.subscriptions.sort()).toEqual([SUB_A, SUB_B].sort());
    expect((await queue.getProperties()).approximateMessagesCount).toBe(before + 2);
  });

  it('scans one subscription on request, refuses an unknown one', async () => {
    const one = await api.handle(request('POST', '/api/scan', { subscriptionId: SUB_B }));
    expect(one.status).toBe(202);
    const unknown = await api.handle(request('POST', '/api/scan', { subscriptionId: '99999999-9999-4999-8999-999999999999' }));
    expect(unknown.status).toBe(404);
    const bad = await api.handle(request('POST', '/api/scan', { subscription: SUB_B }));
    expect(bad.status).toBe(400);
  });
});

describe('POST /api/flow over the sample estate', () => {
  const nsgAppId = '/SUBSCRIPTIONS/0B5E7A1C-9D2F-4E6B-8A3C-1F2D3E4C5B6A/resourceGroups/RG-NSGWATCH-DEMO/providers/Microsoft.Network/networkSecurityGroups/NSG-APP';
  const cases: { name: string; query: Record<string, unknown>; access: 'Allow' | 'Deny'; decidedBy: [string, string, number][] }[] = [
    {
      name: 'RDP from the Internet to the jump box subnet is let in by the open rule',
      query: { nsg: 'nsg-shared', direction: 'inbound', protocol: 'Tcp', source: '203.0.113.5', sourcePort: 50000, destination: '10.0.3.4', destinationPort: 3389 },
      access: 'Allow',
      decidedBy: [['nsg-shared', 'AllowRdpFromInternet', 200]],
    },
    {
      name: 'SSH from the Internet to the web tier is stopped by the Deny above the Allow',
      query: { nsg: 'nsg-web', direction: 'Inbound', protocol: 'tcp', source: '198.51.100.7', sourcePort: 40000, destination: '10.1.1.4', destinationPort: 22 },
      access: 'Deny',
      decidedBy: [['nsg-web', 'DenySshFromInternet', 200]],
    },
    {
      name: 'web to app on 8080 passes the subnet NSG and the NIC NSG',
      query: { nic: 'nic-vm-app-1', direction: 'inbound', protocol: 'Tcp', source: '10.1.1.4', sourcePort: 40000, destination: '10.1.2.4', destinationPort: 8080 },
      access: 'Allow',
      decidedBy: [['nsg-app', 'AllowAppFromWeb', 100], ['nsg-vm-app', 'AllowAppFromWeb', 100]],
    },
    {
      name: 'SSH from the Internet to the app VM stops at the subnet NSG default rule',
      query: { nic: 'nic-vm-app-1', direction: 'inbound', protocol: 'Tcp', source: '203.0.113.5', sourcePort: 40000, destination: '10.1.2.4', destinationPort: 22 },
      access: 'Deny',
      decidedBy: [['nsg-app', 'DenyAllInBound', 65500]],
    },
    {
      name: 'an NSG named by its ARM id in any casing',
      query: { nsg: nsgAppId, direction: 'inbound', protocol: 'Tcp', source: '10.0.1.5', sourcePort: 40000, destination: '10.1.2.4', destinationPort: 3389 },
      access: 'Allow',
      decidedBy: [['nsg-app', 'AllowSshRdpFromBastion', 110]],
    },
    {
      name: 'egress on 443 to the allowed address is shadowed by Deny all at 100',
      query: { nsg: 'nsg-egress', direction: 'outbound', protocol: 'Tcp', source: '10.2.2.4', sourcePort: 40000, destination: '20.50.60.70', destinationPort: 443 },
      access: 'Deny',
      decidedBy: [['nsg-egress', 'DenyAllOutboundAccess', 100]],
    },
  ];
  it.each(cases)('$name', async ({ query, access, decidedBy }) => {
    const response = await api.handle(request('POST', '/api/flow', query));
    expect(response.status).toBe(200);
    const body = json(response);
    expect(body['access']).toBe(access);
    expect((body['decidedBy'] as { nsg: string; rule: string; priority: number }[]).map((d) => [d.nsg, d.rule, d.priority])).toEqual(decidedBy);
  });

  it('answers many queries in order, one bad question not stopping the others', async () => {
    const queries = [cases[0]?.query, { ...cases[1]?.query, nsg: 'nsg-nowhere' }, cases[1]?.query];
    const response = await api.handle(request('POST', '/api/flow', { queries }));
    expect(response.status).toBe(200);
    const results = json(response)['results'] as Record<string, unknown>[];
    expect(results.map((r) => r['access'] ?? (r['error'] as { code: string }).code)).toEqual(['Allow', 'notFound', 'Deny']);
  });

  const invalid: { name: string; body: unknown; status: number; field?: string }[] = [
    { name: 'an unknown NSG', body: { ...cases[0]?.query, nsg: 'nsg-nowhere' }, status: 404, field: 'nsg' },
    { name: 'an unknown protocol', body: { ...cases[0]?.query, protocol: 'HTTP' }, status: 400, field: 'protocol' },
    { name: 'both nsg and nic', body: { ...cases[0]?.query, nic: 'nic-vm-app-1' }, status: 400, field: 'nic' },
    { name: 'neither nsg nor nic', body: { direction: 'inbound', protocol: 'Tcp', source: '1.2.3.4', destination: '10.0.0.1', sourcePort: 1, destinationPort: 2 }, status: 400, field: 'nsg' },
    { name: 'a port beyond 65535', body: { ...cases[0]?.query, destinationPort: 70000 }, status: 400, field: 'destinationPort' },
    { name: 'a source that is no IP', body: { ...cases[0]?.query, source: 'not-an-ip!' }, status: 400, field: 'source' },
    { name: 'a TCP flow without ports', body: { ...cases[0]?.query, sourcePort: undefined }, status: 400, field: 'sourcePort' },
    { name: 'a bad item in a batch, named by index', body: { queries: [cases[0]?.query, { ...cases[0]?.query, direction: 'sideways' }] }, status: 400, field: 'queries[1].direction' },
    { name: 'an empty batch', body: { queries: [] }, status: 400, field: 'queries' },
    { name: 'a batch over the limit', body: { queries: Array.from({ length: 1001 }, () => ({})) }, status: 400, field: 'queries' },
  ];
  it.each(invalid)('refuses $name', async ({ body, status, field }) => {
    const response = await api.handle(request('POST', '/api/flow', body));
    expect(response.status).toBe(status);
    expect(json(response)['error']).toMatchObject(field ? { field } : {});
  });
});

describe('GET /api/rules', () => {
  it('serves the catalogue: every rule with what a person needs to act on it', async () => {
    const response = await api.handle(request('GET', '/api/rules'));
    expect(response.status).toBe(200);
    const rules = json(response)['items'] as { id: string; title: string; severity: string; description: string; remediation: { az: string; bicep: string }; references: string[] }[];
    expect(rules.map((r) => r.id)).toEqual(RULES.map((r) => r.meta.id));
    for (const rule of rules) {
      expect(rule.title.length, rule.id).toBeGreaterThan(0);
      expect(rule.description.length, rule.id).toBeGreaterThan(0);
      expect(rule.remediation.az, rule.id).toMatch(/^az /);
      expect(rule.remediation.bicep.length, rule.id).toBeGreaterThan(0);
    }
    expect((await api.handle(request('GET', '/api/rules?x=1'))).status).toBe(400);
  });
});
