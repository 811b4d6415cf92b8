import type { AzureKeyCredential, EventGridPublisherClientOptions } from '@azure/eventgrid';
import type { TokenCredential } from '@azure/identity';
import type { AlertSink } from './types.js';

export interface EventGridSinkOptions {
  /** The custom topic endpoint, e.g. https://<topic>.<region>-1.eventgrid.azure.net/api/events. */
  endpoint: string;
  /** Managed identity in Azure (EventGrid Data Sender role); a key only against a local receiver. */
  credential: TokenCredential | AzureKeyCredential;
  /** CloudEvent `source` (default: the topic endpoint's host plus `/nsgwatch`). */
  source?: string;
  clientOptions?: EventGridPublisherClientOptions;
}

export function createEventGridSink(options: EventGridSinkOptions): AlertSink {
  void options;
  throw new Error('createEventGridSink: not implemented yet');
}
