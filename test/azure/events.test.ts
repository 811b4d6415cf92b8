import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EventGridDeserializer } from '@azure/eventgrid';
import { describe, expect, it } from 'vitest';
import { parseArmId } from '../../lib/arm/index.js';
import { parseEvents, validationResponse, type ParsedEvent, type ResourceChange } from '../../lib/azure/events.js';

const SAMPLES = resolve(process.cwd(), '../shared/corpus/eventgrid/rest-api-specs-samples');

type Schema = 'event-grid-schema' | 'cloud-events-schema';
type Sample = 'resource_write_success' | 'resource_delete_success' | 'resource_action_success';

function sampleText(schema: Schema, sample: Sample): string {
  return readFileSync(resolve(SAMPLES, schema, `${sample}.json`), 'utf8');
}

function sample(schema: Schema, name: Sample): Record<string, unknown> {
  return JSON.parse(sampleText(schema, name)) as Record<string, unknown>;
}

function dataOf(event: Record<string, unknown>): Record<string, unknown> {
  return event['data'] as Record<string, unknown>;
}

async function changesOf(body: unknown): Promise<ResourceChange[]> {
  const result = await parseEvents(body);
  if (!result.ok) throw new Error(result.error.message);
  expect(result.errors).toEqual([]);
  return result.events.flatMap((e) => (e.kind === 'change' ? [e.change] : []));
}

async function onlyEvent(body: unknown): Promise<ParsedEvent> {
  const result = await parseEvents(body);
  if (!result.ok) throw new Error(result.error.message);
  expect(result.errors).toEqual([]);
  expect(result.events).toHaveLength(1);
  return result.events[0] as ParsedEvent;
}

describe('parseEvents: the corpus samples as delivered', () => {
  const storageId = '/subscriptions/{subscription-id}/resourcegroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-name}';
  const storageIdUpper = '/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-name}';
  const ruleId = '/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.EventHub/namespaces/{namespace}/AuthorizationRules/RootManageSharedAccessKey';
  const cases: { schema: Schema; sample: Sample; expected: ResourceChange }[] = (['event-grid-schema', 'cloud-events-schema'] as const).flatMap((schema) => [
    {
      schema,
      sample: 'resource_write_success' as const,
      expected: {
        eventId: '4db48cba-50a2-455a-93b4-de41a3b5b7f6',
        eventType: 'Microsoft.Resources.ResourceWriteSuccess' as const,
        operation: 'write' as const,
        resourceId: storageId,
        resourceType: 'Microsoft.Storage/storageAccounts',
        subscriptionId: '{subscription-id}',
        correlationId: '{ID}',
        operationName: 'Microsoft.Storage/storageAccounts/write',
        eventTime: '2018-07-19T18:38:04.611Z',
        changedBy: '{user-name}',
      },
    },
    {
      schema,
      sample: 'resource_delete_success' as const,
      expected: {
        eventId: '19a69642-1aad-4a96-a5ab-8d05494513ce',
        eventType: 'Microsoft.Resources.ResourceDeleteSuccess' as const,
        operation: 'delete' as const,
        resourceId: storageIdUpper,
        resourceType: 'Microsoft.Storage/storageAccounts',
        subscriptionId: '{subscription-id}',
        correlationId: '{ID}',
        operationName: 'Microsoft.Storage/storageAccounts/delete',
        eventTime: '2018-07-19T19:24:12.763Z',
        changedBy: '{user-name}',
      },
    },
    {
      schema,
      sample: 'resource_action_success' as const,
      // A service principal: its claims carry no name or upn, so nothing is kept.
      expected: {
        eventId: '{ID}',
        eventType: 'Microsoft.Resources.ResourceActionSuccess' as const,
        operation: 'action' as const,
        resourceId: ruleId,
        resourceType: 'Microsoft.EventHub/namespaces/AuthorizationRules',
        subscriptionId: '{subscription-id}',
        correlationId: '{ID}',
        operationName: 'Microsoft.EventHub/namespaces/AuthorizationRules/listKeys/action',
        eventTime: '2018-10-08T22:46:22.602Z',
      },
    },
  ]);

  it.each(cases)('$schema/$sample', async ({ schema, sample: name, expected }) => {
    const event = await onlyEvent(sampleText(schema, name));
    expect(event).toEqual({ kind: 'change', change: expected });
  });

  it('accepts the same events as a batch, as bytes and as parsed objects', async () => {
    for (const schema of ['event-grid-schema', 'cloud-events-schema'] as const) {
      const batch = [sample(schema, 'resource_write_success'), sample(schema, 'resource_delete_success'), sample(schema, 'resource_action_success')];
      const fromText = await changesOf(JSON.stringify(batch));
      const fromBytes = await changesOf(new TextEncoder().encode(JSON.stringify(batch)));
      const fromObjects = await changesOf(batch);
      expect(fromText.map((c) => c.operation)).toEqual(['write', 'delete', 'action']);
      expect(fromBytes).toEqual(fromText);
      expect(fromObjects).toEqual(fromText);
    }
  });

  it('needs the specVersion normalisation: the SDK alone rejects the CloudEvents delete sample', async () => {
    await expect(new EventGridDeserializer().deserializeCloudEvents(sampleText('cloud-events-schema', 'resource_delete_success'))).rejects.toThrow(/specversion/);
    const event = await onlyEvent(sampleText('cloud-events-schema', 'resource_delete_success'));
    expect(event.kind).toBe('change');
  });

  it('the two schemas give the same change for each twin', async () => {
    for (const name of ['resource_write_success', 'resource_delete_success', 'resource_action_success'] as const) {
      expect(await changesOf(sampleText('cloud-events-schema', name))).toEqual(await changesOf(sampleText('event-grid-schema', name)));
    }
  });
});

describe('parseEvents: what is kept from the claims', () => {
  const NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
  const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
  const cases: { claims: Record<string, string> | undefined | string; changedBy: string | undefined }[] = [
    { claims: { [UPN]: 'ana@contoso.com', [NAME]: 'ana.name@contoso.com', name: 'Ana Lopez' }, changedBy: 'ana@contoso.com' },
    { claims: { upn: 'ben@contoso.com', name: 'Ben' }, changedBy: 'ben@contoso.com' },
    { claims: { [NAME]: 'cy@contoso.com', name: 'Cy' }, changedBy: 'cy@contoso.com' },
    { claims: { unique_name: 'live.com#dee@example.org', name: 'Dee' }, changedBy: 'live.com#dee@example.org' },
    { claims: { name: 'Eve Example' }, changedBy: 'Eve Example' },
    { claims: { [UPN]: '   ', name: 'Fay' }, changedBy: 'Fay' },
    { claims: { appid: '11111111-2222-3333-4444-555555555555', oid: 'x' }, changedBy: undefined },
    { claims: {}, changedBy: undefined },
    { claims: undefined, changedBy: undefined },
    { claims: 'not an object', changedBy: undefined },
  ];

  it.each(cases)('claims $claims → $changedBy', async ({ claims, changedBy }) => {
    const event = sample('event-grid-schema', 'resource_write_success');
    const data = dataOf(event);
    if (claims === undefined) delete data['claims'];
    else data['claims'] = claims;
    const [change] = await changesOf(event);
    expect(change?.changedBy).toBe(changedBy);
    expect(change !== undefined && 'changedBy' in change).toBe(changedBy !== undefined);
  });

  it('keeps nothing else from the claims', async () => {
    const event = sample('event-grid-schema', 'resource_delete_success');
    const claims = dataOf(event)['claims'] as Record<string, string>;
    const secrets = { ipaddr: '203.0.113.77', aio: 'opaque-token-aio', puid: 'puid-0042', onprem_sid: 'S-1-5-21-9', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': 'Gina', 'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid-7777' };
    Object.assign(claims, secrets);
    const [change] = await changesOf(event);
    const kept = JSON.stringify(change);
    for (const value of Object.values(secrets)) expect(kept).not.toContain(value);
    expect(Object.keys(change ?? {}).sort()).toEqual(
      ['changedBy', 'correlationId', 'eventId', 'eventTime', 'eventType', 'operation', 'operationName', 'resourceId', 'resourceType', 'subscriptionId'].sort(),
    );
  });
});

describe('parseEvents: subscription validation and other event types', () => {
  const validationEvent = {
    id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
    topic: '/subscriptions/00000000-0000-0000-0000-000000000000',
    subject: '',
    data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/x/validate?id=y' },
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    eventTime: '2018-01-25T22:12:19.4556811Z',
    metadataVersion: '1',
    dataVersion: '1',
  };

  it('returns the validation code for the handshake', async () => {
    const event = await onlyEvent([validationEvent]);
    expect(event).toEqual({
      kind: 'subscriptionValidation',
      eventId: validationEvent.id,
      validationCode: validationEvent.data.validationCode,
      validationUrl: validationEvent.data.validationUrl,
    });
    expect(validationResponse(validationEvent.data.validationCode)).toEqual({ validationResponse: validationEvent.data.validationCode });
  });

  it('reports a validation event without a code', async () => {
    const result = await parseEvents({ ...validationEvent, data: {} });
    expect(result.ok && result.errors.map((e) => [e.code, e.field])).toEqual([['missingField', 'data.validationCode']]);
  });

  it.each([
    'Microsoft.Resources.ResourceWriteFailure',
    'Microsoft.Resources.ResourceDeleteCancel',
    'Microsoft.Storage.BlobCreated',
    'microsoft.resources.resourcewritesuccess',
  ])('ignores %s', async (eventType) => {
    const event = { ...sample('event-grid-schema', 'resource_write_success'), eventType };
    expect(await onlyEvent(event)).toMatchObject({ kind: 'ignored', eventType, eventId: '4db48cba-50a2-455a-93b4-de41a3b5b7f6' });
  });

  it('accepts an Event Grid event without the fields Event Grid stamps on delivery', async () => {
    const event = sample('event-grid-schema', 'resource_write_success');
    delete event['topic'];
    delete event['dataVersion'];
    delete event['metadataVersion'];
    expect((await onlyEvent(event)).kind).toBe('change');
  });
});

describe('parseEvents: malformed input is a typed error, never a crash', () => {
  it.each([
    { body: '{"id": ', code: 'invalidJson' },
    { body: '', code: 'invalidJson' },
    { body: 42, code: 'notAnEvent' },
    { body: null, code: 'notAnEvent' },
    { body: undefined, code: 'notAnEvent' },
    { body: 'true', code: 'notAnEvent' },
  ])('body $body → $code', async ({ body, code }) => {
    const result = await parseEvents(body);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.message.length).toBeGreaterThan(10);
    }
  });

  it('reports bad events in a batch by position and parses the rest', async () => {
    const good = sample('event-grid-schema', 'resource_write_success');
    const noTime = { ...sample('cloud-events-schema', 'resource_write_success') };
    delete noTime['time'];
    const badTime = { ...sample('event-grid-schema', 'resource_write_success'), eventTime: 'yesterday' };
    const noResource = sample('event-grid-schema', 'resource_write_success');
    delete dataOf(noResource)['resourceUri'];
    noResource['subject'] = '';
    const badId = sample('event-grid-schema', 'resource_write_success');
    dataOf(badId)['resourceUri'] = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups';
    const noCorrelation = sample('event-grid-schema', 'resource_delete_success');
    delete dataOf(noCorrelation)['correlationId'];
    const noOperation = sample('cloud-events-schema', 'resource_delete_success');
    dataOf(noOperation)['operationName'] = 42;
    const noData = { ...sample('event-grid-schema', 'resource_write_success'), data: 'text' };
    const wrongSpec = { ...sample('cloud-events-schema', 'resource_write_success'), specversion: '0.3' };
    const numericId = { ...sample('event-grid-schema', 'resource_write_success'), id: 7 };
    const batch = [null, 5, ['nested'], { hello: 'world' }, good, noTime, badTime, noResource, badId, noCorrelation, noOperation, noData, wrongSpec, numericId];

    const result = await parseEvents(JSON.stringify(batch));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({ kind: 'change', change: { eventId: '4db48cba-50a2-455a-93b4-de41a3b5b7f6' } });
    expect(result.errors.map((e) => [e.index, e.code, e.field])).toEqual([
      [0, 'notAnEvent', undefined],
      [1, 'notAnEvent', undefined],
      [2, 'notAnEvent', undefined],
      [3, 'unknownSchema', undefined],
      [5, 'missingField', 'eventTime'],
      [6, 'invalidField', 'eventTime'],
      [7, 'missingField', 'data.resourceUri'],
      [8, 'invalidField', 'data.resourceUri'],
      [9, 'missingField', 'data.correlationId'],
      [10, 'missingField', 'data.operationName'],
      [11, 'missingField', 'data'],
      [12, 'rejectedBySchema', undefined],
      [13, 'rejectedBySchema', undefined],
    ]);
    for (const error of result.errors.slice(4)) expect(error.message).toMatch(/event/);
    // Errors name the event and, where one is known, the resource.
    expect(result.errors.find((e) => e.index === 9)?.message).toContain('storageAccounts/{storage-name}');
    expect(result.errors.find((e) => e.index === 9)?.eventId).toBe('19a69642-1aad-4a96-a5ab-8d05494513ce');
  });

  it('takes the resource from the subject when data.resourceUri is missing', async () => {
    const event = sample('event-grid-schema', 'resource_write_success');
    delete dataOf(event)['resourceUri'];
    const [change] = await changesOf(event);
    expect(change?.resourceId).toBe(event['subject']);
  });

  it('takes the subscription from the id when data.subscriptionId is missing', async () => {
    const event = sample('event-grid-schema', 'resource_write_success');
    delete dataOf(event)['subscriptionId'];
    dataOf(event)['resourceUri'] = '/subscriptions/9f3c0a51-2f8e-4a4b-9d7e-0c1b2a3d4e5f/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/web';
    const [change] = await changesOf(event);
    expect(change?.subscriptionId).toBe('9f3c0a51-2f8e-4a4b-9d7e-0c1b2a3d4e5f');
  });

  it('an empty batch is no events and no errors', async () => {
    expect(await parseEvents('[]')).toEqual({ ok: true, events: [], errors: [] });
  });
});

describe('parseArmId', () => {
  const sub = '/subscriptions/9f3c0a51-2f8e-4a4b-9d7e-0c1b2a3d4e5f';
  it.each([
    [`${sub}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/web`, 'Microsoft.Network/networkSecurityGroups'],
    [`${sub}/resourcegroups/rg/providers/microsoft.network/networksecuritygroups/web/securityrules/ssh`, 'Microsoft.Network/networkSecurityGroups/securityRules'],
    [`${sub.toUpperCase()}/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/VIRTUALNETWORKS/HUB/SUBNETS/A/`, 'Microsoft.Network/virtualNetworks/subnets'],
    [`${sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub/virtualNetworkPeerings/to-spoke`, 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings'],
    [`${sub}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic1/tapConfigurations/t`, 'Microsoft.Network/networkInterfaces/tapConfigurations'],
    [`${sub}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/web/providers/Microsoft.Insights/diagnosticSettings/d`, 'Microsoft.Insights/diagnosticSettings'],
    [`${sub}/providers/Microsoft.Authorization/roleAssignments/ra`, 'Microsoft.Authorization/roleAssignments'],
    [`${sub}/resourceGroups/rg`, 'Microsoft.Resources/resourceGroups'],
    [sub, 'Microsoft.Resources/subscriptions'],
  ])('%s → %s', (id, type) => {
    const parsed = parseArmId(id);
    expect(parsed.ok && parsed.value.resourceType).toBe(type);
    expect(parsed.ok && parsed.value.subscriptionId.toLowerCase()).toBe('9f3c0a51-2f8e-4a4b-9d7e-0c1b2a3d4e5f');
  });

  it.each([
    ['', 'does not start with /subscriptions/'],
    ['subscriptions/x/resourceGroups/rg', 'does not start with /subscriptions/'],
    ['/tenants/x', 'does not start with /subscriptions/{id}'],
    ['/subscriptions//resourceGroups/rg', 'has an empty segment'],
    [`${sub}/resourceGroups`, 'names no resource group'],
    [`${sub}/resourceGroups/rg/providers/Microsoft.Network`, 'names a provider but no resource type'],
    [`${sub}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/web/securityRules`, 'ends with a type and no resource name'],
    [`${sub}/resourceGroups/rg/nsg/web`, 'has no /providers/ segment'],
  ])('%j is rejected: %s', (id, reason) => {
    expect(parseArmId(id)).toEqual({ ok: false, reason });
  });
});
