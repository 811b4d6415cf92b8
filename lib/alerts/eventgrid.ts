/**
 * CloudEvents 1.0 on nsgwatch's Event Grid custom topic, so Logic Apps, Teams workflows or a
 * ticketing system can subscribe. Each event's id is derived from the transition, so a resend is
 * recognisable as the same event (CloudEvents: id + source identify an event).
 */
import {
  EventGridPublisherClient,
  type AzureKeyCredential,
  type EventGridPublisherClientOptions,
  type SendCloudEventInput,
} from '@azure/eventgrid';
import type { TokenCredential } from '@azure/identity';
import { CLOUD_EVENT_TYPES } from '../config/names.js';
import type { TransitionKind } from '../store/types.js';
import { messageIdOf } from './message-id.js';
import type { AlertDigest, AlertMessage, AlertSink, AlertSummary } from './types.js';
import { assertNever } from '../nsg/index.js';

export interface EventGridSinkOptions {
  /** The custom topic endpoint, e.g. https://<topic>.<region>-1.eventgrid.azure.net/api/events. */
  endpoint: string;
  /** Managed identity in Azure (EventGrid Data Sender role); a key only against a local receiver. */
  credential: TokenCredential | AzureKeyCredential;
  /** CloudEvent `source` (default `/nsgwatch`). */
  source?: string;
  /** Per publish (default 30 s), retries included. */
  timeoutMs?: number;
  clientOptions?: EventGridPublisherClientOptions;
}

/** The CloudEvent type announcing a transition (also the `type` of generic webhook payloads). */
export const CLOUD_EVENT_TYPE_OF: Readonly<Record<TransitionKind, string>> = {
  opened: CLOUD_EVENT_TYPES.opened,
  reopened: CLOUD_EVENT_TYPES.reopened,
  resolved: CLOUD_EVENT_TYPES.resolved,
  suppressed: CLOUD_EVENT_TYPES.suppressed,
  suppressionExpired: CLOUD_EVENT_TYPES.suppressionExpired,
};

export function cloudEventOf(message: AlertMessage, source: string): SendCloudEventInput<AlertSummary | AlertDigest> {
  switch (message.kind) {
    case 'transition': {
      const alert = message.alert;
      return {
        type: CLOUD_EVENT_TYPE_OF[alert.kind],
        source,
        id: messageIdOf(message),
        time: new Date(alert.at),
        subject: alert.resourceId,
        datacontenttype: 'application/json',
        data: alert,
      };
    }
    case 'digest': {
      const digest = message.digest;
      return {
        type: CLOUD_EVENT_TYPES.digest,
        source,
        id: messageIdOf(message),
        time: new Date(digest.at),
        subject: 'findings',
        datacontenttype: 'application/json',
        data: digest,
      };
    }
    default:
      return assertNever(message);
  }
}

export function createEventGridSink(options: EventGridSinkOptions): AlertSink {
  const client = new EventGridPublisherClient(options.endpoint, 'CloudEvent', options.credential, options.clientOptions);
  const source = options.source ?? '/nsgwatch';
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    name: 'eventGrid',
    // Subscribers filter by type; muted findings are published too.
    accepts: () => true,
    async send(messages) {
      await client.send(
        messages.map((m) => cloudEventOf(m, source)),
        { abortSignal: AbortSignal.timeout(timeoutMs) },
      );
    },
  };
}

