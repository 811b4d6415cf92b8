/**
 * Resource change events shaped like the ones Azure's subscription system topic delivers
 * (Microsoft.Resources.Resource{Write,Delete}Success), in the Event Grid schema or CloudEvents
 * 1.0, for the local demo and for anyone replaying a change by hand.
 */
import { randomUUID } from 'node:crypto';
import { parseArmId } from '../arm/index.js';

export type DemoOperation = 'write' | 'delete' | 'action';

/** The person behind a change; only name and upn are ever read back (DESIGN §6). */
export interface DemoActor {
  name: string;
  upn: string;
  objectId: string;
}

export interface ResourceEventInput {
  resourceId: string;
  operation: DemoOperation;
  actor: DemoActor;
  tenantId: string;
  time: Date;
  id?: string;
  correlationId?: string;
}

const EVENT_TYPES: Readonly<Record<DemoOperation, string>> = {
  write: 'Microsoft.Resources.ResourceWriteSuccess',
  delete: 'Microsoft.Resources.ResourceDeleteSuccess',
  action: 'Microsoft.Resources.ResourceActionSuccess',
};

/** `Microsoft.Network/networkSecurityGroups/securityRules/write` from the id's provider and types. */
export function operationNameOf(resourceId: string, operation: DemoOperation): string {
  const segments = resourceId.split('/').filter((s) => s !== '');
  const providers = segments.findIndex((s) => s.toLowerCase() === 'providers');
  if (providers < 0) throw new Error(`${resourceId} is not a provider resource id`);
  const namespace = segments[providers + 1] ?? '';
  const types = segments.slice(providers + 2).filter((_, i) => i % 2 === 0);
  return [namespace, ...types, operation].join('/');
}

/** The subscription and resource group an id names, as the event parser reads them. */
function partsOf(resourceId: string): { subscriptionId: string; resourceGroup?: string } {
  const parsed = parseArmId(resourceId);
  if (!parsed.ok) throw new Error(`${resourceId} ${parsed.reason}`);
  return parsed.value;
}

/** The `data` of a resource event: who did what to which resource, as Azure Resource Manager reports it. */
function eventData(input: ResourceEventInput, correlationId: string): Record<string, unknown> {
  const { subscriptionId } = partsOf(input.resourceId);
  const operationName = operationNameOf(input.resourceId, input.operation);
  const issuedAt = Math.floor(input.time.getTime() / 1000) - 60;
  return {
    authorization: {
      scope: input.resourceId,
      action: operationName,
      evidence: { role: 'Network Contributor', roleAssignmentScope: `/subscriptions/${subscriptionId}`, principalType: 'User' },
    },
    claims: {
      aud: 'https://management.core.windows.net/',
      iss: `https://sts.windows.net/${input.tenantId}/`,
      iat: String(issuedAt),
      nbf: String(issuedAt),
      exp: String(issuedAt + 3600),
      'http://schemas.microsoft.com/claims/authnmethodsreferences': 'pwd,mfa',
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': input.actor.name.split(' ').slice(1).join(' '),
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': input.actor.name.split(' ')[0] ?? '',
      name: input.actor.name,
      'http://schemas.microsoft.com/identity/claims/objectidentifier': input.actor.objectId,
      'http://schemas.microsoft.com/identity/claims/scope': 'user_impersonation',
      'http://schemas.microsoft.com/identity/claims/tenantid': input.tenantId,
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': input.actor.upn,
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': input.actor.upn,
      ver: '1.0',
    },
    correlationId,
    // ARM reports the HTTP call behind a delete (as in the service's own samples), not behind a write.
    ...(input.operation === 'delete'
      ? { httpRequest: { clientRequestId: correlationId, clientIpAddress: '203.0.113.10', method: 'DELETE', url: `https://management.azure.com${input.resourceId}?api-version=2024-05-01` } }
      : {}),
    resourceProvider: operationName.split('/')[0],
    resourceUri: input.resourceId,
    operationName,
    status: 'Succeeded',
    subscriptionId,
    tenantId: input.tenantId,
  };
}

/** One event in the Event Grid schema, as delivered by a subscription's system topic. */
export function eventGridEvent(input: ResourceEventInput): Record<string, unknown> {
  const id = input.id ?? randomUUID();
  return {
    subject: input.resourceId,
    eventType: EVENT_TYPES[input.operation],
    eventTime: input.time.toISOString(),
    id,
    data: eventData(input, input.correlationId ?? randomUUID()),
    dataVersion: '2',
    metadataVersion: '1',
    topic: `/subscriptions/${partsOf(input.resourceId).subscriptionId}`,
  };
}

/** The same event in CloudEvents 1.0. */
export function cloudEvent(input: ResourceEventInput): Record<string, unknown> {
  const id = input.id ?? randomUUID();
  const { subscriptionId: subscription, resourceGroup: group } = partsOf(input.resourceId);
  return {
    source: group !== undefined ? `/subscriptions/${subscription}/resourceGroups/${group}` : `/subscriptions/${subscription}`,
    subject: input.resourceId,
    type: EVENT_TYPES[input.operation],
    time: input.time.toISOString(),
    id,
    data: eventData(input, input.correlationId ?? randomUUID()),
    specversion: '1.0',
  };
}
