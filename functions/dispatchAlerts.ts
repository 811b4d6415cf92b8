/**
 * Timer, every minute: deliver the outbox. Each evaluation delivers its own transitions at once;
 * this catches what a sink refused or a crash left, across invocations and restarts (DESIGN §7).
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { FUNCTIONS } from '../lib/config/names.js';
import { handleDispatch } from '../lib/pipeline/handlers.js';
import { azureRuntime } from '../lib/runtime/azure.js';

export async function dispatchAlerts(_timer: Timer, context: InvocationContext): Promise<void> {
  const report = await handleDispatch(azureRuntime(context));
  // Table Storage unreachable: the platform should see it (pipeline health alert rule).
  if (report === undefined) throw new Error('dispatchAlerts: the outbox could not be read');
}

app.timer(FUNCTIONS.dispatchAlerts, { schedule: '0 */1 * * * *', handler: dispatchAlerts });
