import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createArmReader, type ArmReaderOptions } from '../../lib/azure/arm.js';
import type { ServiceTagCache, ServiceTagData } from '../../lib/azure/servicetags.js';
import {
  CORPUS_DIR,
  createArmTransport,
  createVirtualClock,
  restExampleBody,
  testCredential,
  type ArmReply,
} from '../support/arm-transport.js';

const PATH = '/subscriptions/subId/providers/Microsoft.Network/locations/{location}/serviceTags';
const HOUR = 3_600_000;

/** The API example carries a nextLink (with a $skipToken): its next page is served empty. */
function harness(serve: () => ArmReply, options: Partial<ArmReaderOptions> = {}) {
  const clock = createVirtualClock();
  const transport = createArmTransport({ clock });
  transport.on('GET', PATH, (request) => (request.query.has('$skipToken') ? { status: 200, body: { values: [] } } : serve()));
  const reader = createArmReader({ credential: testCredential(), httpClient: transport, clock, random: () => 0.5, ...options });
  return { reader, transport, clock };
}

function memoryCache(): ServiceTagCache & { entries: Map<string, ServiceTagData>; sets: number } {
  const entries = new Map<string, ServiceTagData>();
  const cache = {
    entries,
    sets: 0,
    get: (location: string) => Promise.resolve(entries.get(location)),
    set: (data: ServiceTagData) => {
      cache.sets += 1;
      entries.set(data.location, data);
      return Promise.resolve();
    },
  };
  return cache;
}

describe('readServiceTags', () => {
  it('returns the API response as served (REST example), with its changeNumber', async () => {
    const body = restExampleBody('ServiceTagsList');
    const { reader, transport } = harness(() => ({ status: 200, body }));

    const read = await reader.readServiceTags('subId', 'westcentralus');

    expect(read).toMatchObject({ status: 'read', changed: true, data: { changeNumber: '63', cloud: 'Public', location: 'westcentralus' } });
    if (read.status !== 'read') return;
    const { nextLink, ...withoutNextLink } = body as Record<string, unknown>;
    expect(read.data.response).toEqual(withoutNextLink);
    expect(transport.requests.map((r) => r.path)).toEqual([
      '/subscriptions/subId/providers/Microsoft.Network/locations/westcentralus/serviceTags',
      new URL(String(nextLink)).pathname,
    ]);
  });

  it('keeps every field of the real weekly data (3,039 tags), including those the SDK model lacks', async () => {
    const weekly = JSON.parse(readFileSync(`${CORPUS_DIR}servicetags/ServiceTags_Public_20251028.json`, 'utf8')) as {
      values: { properties: Record<string, unknown> }[];
    };
    const { reader } = harness(() => ({ status: 200, body: weekly }));

    const read = await reader.readServiceTags('subId', 'westeurope');

    expect(read).toMatchObject({ status: 'read', data: { changeNumber: '375', cloud: 'Public' } });
    if (read.status !== 'read') return;
    const values = (read.data.response as typeof weekly).values;
    expect(values).toHaveLength(3039);
    expect(values[0]?.properties).toHaveProperty('regionId');
    expect(values[0]?.properties).toHaveProperty('platform');
    expect(read.data.response).toEqual(weekly);
  });

  it('is held in memory for maxAge, then read again: changed only when the changeNumber moves', async () => {
    let changeNumber = '63';
    const body = restExampleBody('ServiceTagsList') as Record<string, unknown>;
    const { reader, transport, clock } = harness(() => ({ status: 200, body: { ...body, changeNumber } }), { serviceTagsMaxAgeMs: HOUR });

    expect((await reader.readServiceTags('subId', 'westcentralus')).status).toBe('read');
    expect(await reader.readServiceTags('subId', 'WestCentralUS')).toMatchObject({ status: 'cached', data: { changeNumber: '63' } });
    expect(transport.requests).toHaveLength(2);

    await clock.sleep(HOUR);
    expect(await reader.readServiceTags('subId', 'westcentralus')).toMatchObject({ status: 'read', changed: false });
    expect(transport.requests).toHaveLength(4);

    changeNumber = '64';
    await clock.sleep(HOUR);
    expect(await reader.readServiceTags('subId', 'westcentralus')).toMatchObject({ status: 'read', changed: true, data: { changeNumber: '64' } });
  });

  it('when the API fails, held data is returned as stale; with none, the read fails', async () => {
    let status = 200;
    const body = restExampleBody('ServiceTagsList');
    const { reader, clock } = harness(() => ({ status, body: status === 200 ? body : { error: { code: 'InternalServerError', message: 'down' } } }), {
      serviceTagsMaxAgeMs: HOUR,
      retry: { maxAttempts: 2 },
    });

    status = 500;
    expect(await reader.readServiceTags('subId', 'westcentralus')).toMatchObject({ status: 'failed', cause: 'server-error' });
    status = 200;
    expect((await reader.readServiceTags('subId', 'westcentralus')).status).toBe('read');
    status = 500;
    await clock.sleep(HOUR);
    expect(await reader.readServiceTags('subId', 'westcentralus')).toMatchObject({ status: 'stale', cause: 'server-error', data: { changeNumber: '63' } });
  });

  it('a shared cache spares a second instance the API call; cache faults never lose the data', async () => {
    const body = restExampleBody('ServiceTagsList');
    const cache = memoryCache();
    const first = harness(() => ({ status: 200, body }), { serviceTagCache: cache });
    expect((await first.reader.readServiceTags('subId', 'westcentralus')).status).toBe('read');
    expect(cache.sets).toBe(1);

    const second = harness(() => ({ status: 200, body }), { serviceTagCache: cache });
    expect(await second.reader.readServiceTags('subId', 'westcentralus')).toMatchObject({ status: 'cached', data: { changeNumber: '63' } });
    expect(second.transport.requests).toHaveLength(0);

    const broken: ServiceTagCache = {
      get: () => Promise.reject(new Error('table unavailable')),
      set: () => Promise.reject(new Error('entity too large')),
    };
    const third = harness(() => ({ status: 200, body }), { serviceTagCache: broken });
    expect(await third.reader.readServiceTags('subId', 'westcentralus')).toMatchObject({ status: 'read', cacheError: 'entity too large' });
  });

  it('concurrent callers share one API read', async () => {
    const { reader, transport } = harness(() => ({ status: 200, body: restExampleBody('ServiceTagsList') }));
    const reads = await Promise.all([1, 2, 3, 4].map(() => reader.readServiceTags('subId', 'westcentralus')));
    expect(reads.map((r) => r.status)).toEqual(['read', 'read', 'read', 'read']);
    expect(transport.requests).toHaveLength(2);
  });

  it('follows nextLink and joins the pages', async () => {
    const { nextLink: _, ...body } = restExampleBody('ServiceTagsList') as { values: unknown[]; nextLink: string };
    const half = Math.ceil(body.values.length / 2);
    const { reader, transport } = harness((): ArmReply => ({
      status: 200,
      body: { ...body, values: body.values.slice(0, half), nextLink: 'https://management.azure.com/subscriptions/subId/providers/Microsoft.Network/serviceTagsPage2?api-version=2024-05-01' },
    }));
    transport.on('GET', '/subscriptions/subId/providers/Microsoft.Network/serviceTagsPage2', () => ({
      status: 200,
      body: { values: body.values.slice(half) },
    }));

    const read = await reader.readServiceTags('subId', 'westcentralus');

    expect(read.status).toBe('read');
    if (read.status !== 'read') return;
    expect(read.data.response).toEqual(body);
    expect(transport.requests).toHaveLength(2);
  });

  it('a nextLink that never ends is refused, not followed forever', async () => {
    const body = restExampleBody('ServiceTagsList');
    const { reader, transport } = harness(() => ({ status: 200, body }));
    transport.on('GET', PATH, () => ({ status: 200, body }));

    expect(await reader.readServiceTags('subId', 'westcentralus')).toMatchObject({ status: 'failed', cause: 'bad-response' });
    expect(transport.requests).toHaveLength(101);
  });

  it.each([
    ['no values', { changeNumber: '1', cloud: 'Public' }, /values/],
    ['no changeNumber', { cloud: 'Public', values: [] }, /changeNumber/],
  ])('a response with %s is refused', async (_name, body, reason) => {
    const { reader } = harness(() => ({ status: 200, body }));
    const read = await reader.readServiceTags('subId', 'westcentralus');
    expect(read).toMatchObject({ status: 'failed', cause: 'bad-response' });
    expect(read.status === 'failed' && read.reason).toMatch(reason);
  });
});
