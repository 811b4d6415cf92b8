/**
 * Event Grid deliveries → resource changes. Accepts the Event Grid schema and CloudEvents 1.0, one
 * event or a batch, as JSON text, bytes or parsed objects, and keeps only what the finding history
 * needs. Events are hints: nothing here reads Azure, the evaluation always re-reads current state.
 */
import { describeValue } from '../nsg/describe-value.js';
import { EventGridDeserializer, isSystemEvent, type CloudEvent, type EventGridEvent } from '@azure/eventgrid';
import { parseArmId } from '../arm/index.js';
import { SUBSCRIBED_EVENT_TYPES } from '../config/names.js';
import { assertNever, errorMessage, isRecord } from '../nsg/index.js';

export type ChangeOperation = 'write' | 'delete' | 'action';

/** The event types the deployment subscribes to: the successful resource operations. */
export type ResourceEventType = (typeof SUBSCRIBED_EVENT_TYPES)[number];

export const SUBSCRIPTION_VALIDATION_EVENT_TYPE = 'Microsoft.EventGrid.SubscriptionValidationEvent';

/** One successful ARM operation on one resource, as far as nsgwatch cares. */
export interface ResourceChange {
  eventId: string;
  eventType: ResourceEventType;
  operation: ChangeOperation;
  /** ARM id as the event spells it (data.resourceUri, else subject). */
  resourceId: string;
  /** e.g. `Microsoft.Network/networkSecurityGroups/securityRules`; watched types in their canonical spelling. */
  resourceType: string;
  subscriptionId: string;
  correlationId: string;
  /** e.g. `Microsoft.Network/networkSecurityGroups/securityRules/write`. */
  operationName: string;
  /** ISO 8601 UTC. */
  eventTime: string;
  /** The claims' name / upn only; absent for principals without one (service principals). */
  changedBy?: string;
}

export type ParsedEvent =
  | { kind: 'change'; change: ResourceChange }
  | { kind: 'subscriptionValidation'; eventId: string; validationCode: string; validationUrl?: string }
  | { kind: 'ignored'; eventId: string; eventType: string; reason: string };

export type EventErrorCode =
  | 'invalidJson'
  | 'notAnEvent'
  | 'unknownSchema'
  | 'rejectedBySchema'
  | 'missingField'
  | 'invalidField';

export interface EventError {
  code: EventErrorCode;
  message: string;
  /** Position in the delivered batch (0 for a single event). */
  index: number;
  eventId?: string;
  field?: string;
}

export type ParseEventsResult =
  | { ok: true; events: ParsedEvent[]; errors: EventError[] }
  | { ok: false; error: EventError };

/** Claims that name the principal, most specific first; nothing else from the claims is read. */
const CHANGED_BY_CLAIMS = [
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'unique_name',
  'name',
] as const;

const MAX_CHANGED_BY_LENGTH = 256;
/**
 * Longest resource id an event may name. No Microsoft.Network id comes near it (names are at most
 * 80 characters), and the coalescing guard stores the id in one Table Storage property (64 KiB):
 * a longer one can never be handled, so it is refused (400) rather than retried by Event Grid.
 */
export const MAX_EVENT_RESOURCE_ID_LENGTH = 1024;

const deserializer = new EventGridDeserializer();

/**
 * Parse an Event Grid delivery (HTTP body, or the object the Functions host hands a trigger).
 * A body that is not JSON, or not an object or array, fails as a whole; a bad event inside a
 * batch is reported in `errors` and the rest are still parsed.
 */
export async function parseEvents(body: unknown): Promise<ParseEventsResult> {
  let decoded: unknown = body;
  if (body instanceof Uint8Array) decoded = new TextDecoder().decode(body);
  if (typeof decoded === 'string') {
    try {
      decoded = JSON.parse(decoded) as unknown;
    } catch (cause) {
      const reason = errorMessage(cause);
      return { ok: false, error: { code: 'invalidJson', index: 0, message: `event body is not JSON: ${reason}` } };
    }
  }
  if (typeof decoded !== 'object' || decoded === null) {
    return {
      ok: false,
      error: { code: 'notAnEvent', index: 0, message: `event body must be an object or an array, got ${describe(decoded)}` },
    };
  }
  const items: unknown[] = Array.isArray(decoded) ? decoded : [decoded];
  const events: ParsedEvent[] = [];
  const errors: EventError[] = [];
  for (const [index, item] of items.entries()) {
    const parsed = await parseOne(item, index);
    if (parsed.ok) events.push(parsed.event);
    else errors.push(parsed.error);
  }
  return { ok: true, events, errors };
}

/** The body Event Grid expects back from a webhook to complete the subscription handshake. */
export function validationResponse(validationCode: string): { validationResponse: string } {
  return { validationResponse: validationCode };
}

type OneResult = { ok: true; event: ParsedEvent } | { ok: false; error: EventError };

/** The fields both schemas share once the SDK has checked and typed them. */
interface Envelope {
  event: EventGridEvent<unknown> | CloudEvent<unknown>;
  id: string;
  type: string;
  time: Date | undefined;
  subject: string | undefined;
  data: unknown;
}

async function parseOne(item: unknown, index: number): Promise<OneResult> {
  if (!isRecord(item)) {
    return fail(index, 'notAnEvent', `event ${index} is ${describe(item)}, not an object`);
  }
  const eventId = typeof item['id'] === 'string' ? item['id'] : undefined;
  const schema = schemaOf(item);
  if (schema === undefined) {
    return fail(index, 'unknownSchema', `event ${index} is neither Event Grid schema (eventType) nor CloudEvents 1.0 (specversion, type)`, eventId);
  }
  let envelope: Envelope;
  try {
    envelope = schema === 'eventGrid'
      ? fromEventGrid(await deserializeEventGrid(item))
      : fromCloudEvent(await deserializeCloudEvent(item));
    // The SDK's mapper turns non-object data into an object of characters; keep the data as sent.
    envelope.data = item['data'];
  } catch (cause) {
    const reason = errorMessage(cause);
    const label = schema === 'eventGrid' ? 'Event Grid' : 'CloudEvents 1.0';
    return fail(index, 'rejectedBySchema', `event ${eventId ?? index} is not a valid ${label} event: ${reason}`, eventId);
  }
  return interpret(envelope, index);
}

type Schema = 'eventGrid' | 'cloudEvents';

function schemaOf(item: Record<string, unknown>): Schema | undefined {
  if ('eventType' in item) return 'eventGrid';
  if ('specversion' in item || 'specVersion' in item || ('type' in item && 'source' in item)) return 'cloudEvents';
  return undefined;
}

async function deserializeEventGrid(item: Record<string, unknown>): Promise<EventGridEvent<unknown>> {
  // Event Grid stamps these on delivery; events replayed by hand often leave them out.
  const stamped = { metadataVersion: '1', dataVersion: '', topic: '', ...item };
  const [event] = await deserializer.deserializeEventGridEvents(stamped);
  if (!event) throw new Error('no event');
  return event;
}

async function deserializeCloudEvent(item: Record<string, unknown>): Promise<CloudEvent<unknown>> {
  const normalised = { ...item };
  // Some publishers (and Azure's own samples) spell the attribute `specVersion`; CloudEvents says `specversion`.
  if (!('specversion' in normalised) && 'specVersion' in normalised) {
    normalised['specversion'] = normalised['specVersion'];
    delete normalised['specVersion'];
  }
  const [event] = await deserializer.deserializeCloudEvents(normalised);
  if (!event) throw new Error('no event');
  return event;
}

function fromEventGrid(e: EventGridEvent<unknown>): Envelope {
  return { event: e, id: e.id, type: e.eventType, time: e.eventTime, subject: e.subject, data: e.data };
}

function fromCloudEvent(e: CloudEvent<unknown>): Envelope {
  return { event: e, id: e.id, type: e.type, time: e.time, subject: e.subject, data: e.data };
}

function interpret(e: Envelope, index: number): OneResult {
  if (e.type === SUBSCRIPTION_VALIDATION_EVENT_TYPE) return validation(e, index);
  const eventType = SUBSCRIBED_EVENT_TYPES.find((t) => isResourceEvent(t, e.event));
  if (eventType === undefined) {
    return { ok: true, event: { kind: 'ignored', eventId: e.id, eventType: e.type, reason: `event type ${e.type} is not a successful resource operation` } };
  }
  return resourceChange(e, index, eventType, operationOf(eventType));
}

function isResourceEvent(type: ResourceEventType, event: EventGridEvent<unknown> | CloudEvent<unknown>): boolean {
  // The SDK's guard has one overload per schema.
  return 'eventType' in event ? isSystemEvent(type, event) : isSystemEvent(type, event);
}

function operationOf(type: ResourceEventType): ChangeOperation {
  switch (type) {
    case 'Microsoft.Resources.ResourceWriteSuccess':
      return 'write';
    case 'Microsoft.Resources.ResourceDeleteSuccess':
      return 'delete';
    case 'Microsoft.Resources.ResourceActionSuccess':
      return 'action';
    default:
      return assertNever(type, 'event type');
  }
}

function validation(e: Envelope, index: number): OneResult {
  const data = isRecord(e.data) ? e.data : {};
  const code = data['validationCode'];
  if (typeof code !== 'string' || code === '') {
    return fail(index, 'missingField', `subscription validation event ${e.id} has no data.validationCode`, e.id, 'data.validationCode');
  }
  const url = data['validationUrl'];
  return {
    ok: true,
    event: {
      kind: 'subscriptionValidation',
      eventId: e.id,
      validationCode: code,
      ...(typeof url === 'string' && url !== '' ? { validationUrl: url } : {}),
    },
  };
}

function resourceChange(e: Envelope, index: number, eventType: ResourceEventType, operation: ChangeOperation): OneResult {
  if (!isRecord(e.data)) {
    return fail(index, 'missingField', `${eventType} event ${e.id} has no data object`, e.id, 'data');
  }
  const data = e.data;
  const resourceId = nonEmptyString(data['resourceUri']) ?? nonEmptyString(e.subject);
  if (resourceId === undefined) {
    return fail(index, 'missingField', `${eventType} event ${e.id} names no resource (data.resourceUri and subject are empty)`, e.id, 'data.resourceUri');
  }
  if (resourceId.length > MAX_EVENT_RESOURCE_ID_LENGTH) {
    return fail(index, 'invalidField', `${eventType} event ${e.id}: resource id is ${resourceId.length} characters; an ARM resource id nsgwatch handles is at most ${MAX_EVENT_RESOURCE_ID_LENGTH}`, e.id, 'data.resourceUri');
  }
  const parsedId = parseArmId(resourceId);
  if (!parsedId.ok) {
    return fail(index, 'invalidField', `${eventType} event ${e.id}: resource id ${describeValue(resourceId, { maxLength: 300 })} ${parsedId.reason}`, e.id, 'data.resourceUri');
  }
  const correlationId = nonEmptyString(data['correlationId']);
  if (correlationId === undefined) {
    return fail(index, 'missingField', `${eventType} event ${e.id} on ${resourceId} has no data.correlationId`, e.id, 'data.correlationId');
  }
  const operationName = nonEmptyString(data['operationName']);
  if (operationName === undefined) {
    return fail(index, 'missingField', `${eventType} event ${e.id} on ${resourceId} has no data.operationName`, e.id, 'data.operationName');
  }
  if (e.time === undefined) {
    return fail(index, 'missingField', `${eventType} event ${e.id} on ${resourceId} has no event time`, e.id, 'eventTime');
  }
  if (Number.isNaN(e.time.getTime())) {
    return fail(index, 'invalidField', `${eventType} event ${e.id} on ${resourceId} has an unreadable event time`, e.id, 'eventTime');
  }
  const changedBy = changedByOf(data['claims']);
  const change: ResourceChange = {
    eventId: e.id,
    eventType,
    operation,
    resourceId,
    resourceType: parsedId.value.resourceType,
    subscriptionId: nonEmptyString(data['subscriptionId']) ?? parsedId.value.subscriptionId,
    correlationId,
    operationName,
    eventTime: e.time.toISOString(),
    ...(changedBy !== undefined ? { changedBy } : {}),
  };
  return { ok: true, event: { kind: 'change', change } };
}

function changedByOf(claims: unknown): string | undefined {
  if (!isRecord(claims)) return undefined;
  for (const claim of CHANGED_BY_CLAIMS) {
    const value = nonEmptyString(claims[claim]);
    if (value !== undefined) return value.slice(0, MAX_CHANGED_BY_LENGTH);
  }
  return undefined;
}

function fail(index: number, code: EventErrorCode, message: string, eventId?: string, field?: string): OneResult {
  return {
    ok: false,
    error: {
      code,
      message,
      index,
      ...(eventId !== undefined ? { eventId } : {}),
      ...(field !== undefined ? { field } : {}),
    },
  };
}


function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
