import { describe, expect, it } from 'vitest';
import { createArmReader } from '../../lib/azure/arm.js';
import { armSource } from '../../lib/azure/arm-source.js';
import { loadEstate } from '../../lib/estate/index.js';
import {
  createArmEstate,
  createArmTransport,
  createVirtualClock,
  restExampleBody,
  serveEstate,
  testCredential,
} from '../support/arm-transport.js';
import { syntheticEstate } from '../support/arm-estate.js';

describe('armSource', () => {
  const estate = syntheticEstate({ nsgs: 12, vnets: 2, nics: 20, seed: 9 });

  function setup() {
    const clock = createVirtualClock();
    const transport = createArmTransport({ clock });
    serveEstate(transport, createArmEstate(estate.resources), { pageSize: 5 });
    const reader = createArmReader({ credential: testCredential(), httpClient: transport, clock, retry: { maxAttempts: 2 } });
    return { transport, reader };
  }

  it('hands the inventory over as one estate document per subscription', async () => {
    const { reader } = setup();
    const source = armSource({ reader, subscriptions: [estate.subscriptionId] });

    expect(source.kind).toBe('arm');
    expect(await source.subscriptions()).toEqual([estate.subscriptionId]);
    const read = await source.readInventory(estate.subscriptionId, { priority: 'event' });

    expect(read.failures).toEqual([]);
    expect(read.documents).toHaveLength(1);
    expect(read.documents[0]?.source).toBe(`arm:/subscriptions/${estate.subscriptionId}`);
    const loaded = loadEstate(read.documents);
    expect(loaded.networkSecurityGroups.size).toBe(12);
    expect(loaded.errors).toEqual([]);
  });

  it('reports a list that failed, with the reader\'s reason', async () => {
    const { reader, transport } = setup();
    transport.failNext(
      [
        { kind: 'status', status: 500 },
        { kind: 'status', status: 500 },
      ],
      (r) => r.url.pathname.endsWith('/networkInterfaces'),
    );
    const read = await armSource({ reader, subscriptions: [] }).readInventory(estate.subscriptionId);

    expect(read.failures).toHaveLength(1);
    expect(read.failures[0]?.target).toMatch(/Microsoft\.Network\/networkInterfaces$/);
    expect(read.failures[0]?.reason).toMatch(/ARM server error after 2 attempts \(HTTP 500\)/);
  });

  it('service tags come from the Discovery API for the configured location, or not at all', async () => {
    const { reader, transport } = setup();
    const { nextLink: _, ...body } = restExampleBody('ServiceTagsList') as Record<string, unknown>;
    const path = `/subscriptions/${estate.subscriptionId}/providers/Microsoft.Network/locations`;
    transport.on('GET', `${path}/westeurope/serviceTags`, () => ({ status: 200, body }));
    transport.on('GET', `${path}/northeurope/serviceTags`, () => ({
      status: 403,
      body: { error: { code: 'AuthorizationFailed', message: 'The client does not have authorization to perform action.' } },
    }));

    expect(await armSource({ reader, subscriptions: [], serviceTagsLocation: 'westeurope' }).serviceTags(estate.subscriptionId)).toEqual(body);
    expect(await armSource({ reader, subscriptions: [], serviceTagsLocation: 'northeurope' }).serviceTags(estate.subscriptionId)).toBeUndefined();
    expect(await armSource({ reader, subscriptions: [] }).serviceTags(estate.subscriptionId)).toBeUndefined();
    expect(transport.unrouted).toEqual([]);
  });
});
