/**
 * The Event Grid webhook endpoint the Functions host offers for an Event Grid trigger
 * (`POST /runtime/webhooks/eventgrid?functionName=...`), for local mode. It behaves as Event Grid
 * expects of a webhook: the SubscriptionValidation handshake, the CloudEvents abuse-protection
 * handshake (OPTIONS), Event Grid schema arrays, CloudEvents single and batch deliveries; a body
 * it cannot read gets 400 with the reason (Event Grid does not retry a 400).
 */
import { parseEvents, validationResponse, type EventError } from '../azure/events.js';
import { errorResponse, header, jsonResponse, mediaType, type ApiRequest, type ApiResponse } from '../api/http.js';
import { errorMessage } from '../nsg/index.js';

export const EVENT_GRID_WEBHOOK_PATH = '/runtime/webhooks/eventgrid';
/** Event Grid delivers at most 1 MB per request (batch or single event). */
export const MAX_EVENT_BODY_BYTES = 1024 * 1024;

/** Hands one event to the Event Grid trigger's handler, exactly as the Functions host would. */
export type EventDelivery = (event: Record<string, unknown>) => Promise<void>;

export interface DeliveryReport {
  schema: 'eventGrid' | 'cloudEvents';
  received: number;
  delivered: number;
  /** Events of types the trigger does not handle (acknowledged, not delivered). */
  ignored: number;
  rejected: EventError[];
}

export interface EventGridWebhookOptions {
  /** The trigger this endpoint serves (`functionName` query parameter). */
  functionName: string;
  deliver: EventDelivery;
  onDelivery?: (report: DeliveryReport) => void;
}

export interface EventGridWebhook {
  handle(request: ApiRequest): Promise<ApiResponse>;
}

type BodyKind = 'eventGrid' | 'cloudEventsSingle' | 'cloudEventsBatch';

export function createEventGridWebhook(options: EventGridWebhookOptions): EventGridWebhook {
  async function handle(request: ApiRequest): Promise<ApiResponse> {
    const functionName = request.query.get('functionName');
    if (functionName === null || functionName.toLowerCase() !== options.functionName.toLowerCase()) {
      return errorResponse({
        status: 404,
        code: 'notFound',
        message: `no Event Grid trigger named ${JSON.stringify(functionName ?? '')}; this endpoint serves functionName=${options.functionName}`,
        field: 'functionName',
      });
    }
    switch (request.method) {
      case 'OPTIONS':
        return abuseProtectionHandshake(request);
      case 'POST':
        return notification(request);
      default:
        return errorResponse({ status: 405, code: 'methodNotAllowed', message: `${request.method} is not allowed; Event Grid POSTs events (OPTIONS for the CloudEvents handshake)` }, { allow: 'POST, OPTIONS' });
    }
  }

  async function notification(request: ApiRequest): Promise<ApiResponse> {
    const kind = bodyKind(mediaType(header(request, 'content-type')));
    if (kind === undefined) {
      return errorResponse({
        status: 415,
        code: 'unsupportedMediaType',
        message: 'send application/json (Event Grid schema), application/cloudevents+json or application/cloudevents-batch+json',
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body) as unknown;
    } catch (cause) {
      return badRequest('invalidJson', `the body is not JSON: ${errorMessage(cause)}`);
    }
    if (kind === 'cloudEventsSingle' && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      return badRequest('invalidField', 'application/cloudevents+json carries one event as a JSON object; send batches as application/cloudevents-batch+json');
    }
    if (kind !== 'cloudEventsSingle' && !Array.isArray(body)) {
      const what = kind === 'eventGrid' ? 'Event Grid delivers an array of events' : 'application/cloudevents-batch+json carries a JSON array of events';
      return badRequest('invalidField', `${what}; got ${describe(body)}`);
    }
    const items = (Array.isArray(body) ? body : [body]) as unknown[];
    if (items.length === 0) return badRequest('invalidField', 'the delivery holds no events');
    const parsed = await parseEvents(items);
    if (!parsed.ok) return badRequest(parsed.error.code, parsed.error.message);

    const isValidation = header(request, 'aeg-event-type')?.toLowerCase() === 'subscriptionvalidation';
    const validation = parsed.events.find((e) => e.kind === 'subscriptionValidation');
    const changes = parsed.events.filter((e) => e.kind === 'change').length;
    if (isValidation || validation !== undefined) {
      if (validation === undefined || validation.kind !== 'subscriptionValidation') {
        const reason = parsed.errors[0]?.message ?? 'no Microsoft.EventGrid.SubscriptionValidationEvent in the body';
        return badRequest('invalidField', `subscription validation failed: ${reason}`);
      }
      // Event Grid sends the validation alone; a batch that also carries changes gets both: the
      // validation answered and the changes handed over (below), so none is dropped silently.
      if (changes === 0) return jsonResponse(200, validationResponse(validation.validationCode));
    }

    if (parsed.events.length === 0) {
      // Nothing readable: a 400 sends the delivery to dead-letter instead of retrying it forever.
      const reasons = parsed.errors.map((e) => e.message).join('; ');
      return badRequest(parsed.errors[0]?.code ?? 'invalidField', `no event in the delivery could be read: ${reasons}`);
    }
    const report: DeliveryReport = {
      schema: kind === 'eventGrid' ? 'eventGrid' : 'cloudEvents',
      received: items.length,
      delivered: 0,
      ignored: 0,
      rejected: parsed.errors,
    };
    const rejectedIndexes = new Set(parsed.errors.map((e) => e.index));
    let parsedIndex = 0;
    for (const [index, item] of items.entries()) {
      if (rejectedIndexes.has(index)) continue;
      const event = parsed.events[parsedIndex++];
      if (event?.kind !== 'change') {
        report.ignored += 1;
        continue;
      }
      try {
        await options.deliver(item as Record<string, unknown>);
      } catch (error) {
        options.onDelivery?.(report);
        // Storage refused the request itself (400, 413): a retry can never succeed, and Event Grid
        // does not retry a 400 (Event Grid message delivery and retry: webhook error codes).
        const status = typeof error === 'object' && error !== null && 'statusCode' in error ? (error as { statusCode: unknown }).statusCode : undefined;
        if (status === 400 || status === 413) {
          return badRequest('invalidField', `event ${event.change.eventId} can never be handled: ${error instanceof Error ? error.message.slice(0, 500) : String(error)}`);
        }
        // 503: Event Grid retries the delivery; duplicates are harmless (evaluations re-read state).
        return errorResponse(
          { status: 503, code: 'unavailable', message: `event ${event.change.eventId} could not be handed over: ${errorMessage(error)}` },
          { 'retry-after': '5' },
        );
      }
      report.delivered += 1;
    }
    options.onDelivery?.(report);
    return jsonResponse(200, {
      ...(validation?.kind === 'subscriptionValidation' ? validationResponse(validation.validationCode) : {}),
      received: report.received,
      delivered: report.delivered,
      ignored: report.ignored,
      ...(report.rejected.length > 0 ? { rejected: report.rejected } : {}),
    });
  }

  return { handle };
}

/** CloudEvents webhook validation: echo the origin that asks to deliver (no rate limit). */
function abuseProtectionHandshake(request: ApiRequest): ApiResponse {
  const origin = header(request, 'webhook-request-origin')?.trim();
  if (!origin) {
    return badRequest('invalidField', 'an OPTIONS request is the CloudEvents webhook handshake and needs a WebHook-Request-Origin header');
  }
  return {
    status: 200,
    headers: { 'webhook-allowed-origin': origin, 'webhook-allowed-rate': '*', allow: 'POST, OPTIONS', 'cache-control': 'no-store' },
    body: '',
  };
}

function bodyKind(type: string | undefined): BodyKind | undefined {
  switch (type) {
    case 'application/json':
      return 'eventGrid';
    case 'application/cloudevents+json':
      return 'cloudEventsSingle';
    case 'application/cloudevents-batch+json':
      return 'cloudEventsBatch';
    default:
      return undefined;
  }
}

function badRequest(code: string, message: string): ApiResponse {
  return jsonResponse(400, { error: { code, message } });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
