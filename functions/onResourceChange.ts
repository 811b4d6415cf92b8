/** Event Grid trigger: a resource change in a watched subscription → its scopes on the coalescing queue. */
import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { FUNCTIONS } from '../lib/config/names.js';
import { handleResourceEvents } from '../lib/pipeline/handlers.js';
import { azureRuntime } from '../lib/runtime/azure.js';

export async function onResourceChange(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const handled = await handleResourceEvents(event, azureRuntime(context));
  context.log(`event ${event.id}: ${handled.changes} change(s), ${handled.enqueued} scope(s) queued, ${handled.coalesced} coalesced, ${handled.ignored} ignored`);
}

app.eventGrid(FUNCTIONS.onResourceChange, { handler: onResourceChange });
