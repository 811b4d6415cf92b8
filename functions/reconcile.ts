/** Timer: expire suppressions and sweep every watched subscription (catches anything events missed). */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { FUNCTIONS, SETTINGS } from '../lib/config/names.js';
import { handleReconcile } from '../lib/pipeline/handlers.js';
import { azureRuntime } from '../lib/runtime/azure.js';

export async function reconcile(_timer: Timer, context: InvocationContext): Promise<void> {
  const { outcomes, expired } = await handleReconcile(azureRuntime(context));
  const failed = outcomes.filter((o) => o.status === 'failed');
  context.log(`reconcile: ${outcomes.length} subscription(s), ${failed.length} failed, ${expired.length} suppression(s) expired`);
  // A failed sweep is an error the platform should see (alert rule on pipeline health).
  if (failed.length > 0) throw new Error(`reconcile could not read ${failed.map((o) => o.scope.subscriptionId).join(', ')}`);
}

// The schedule is an app setting (default every 6 hours, set by the deployment).
app.timer(FUNCTIONS.reconcile, { schedule: `%${SETTINGS.reconcileSchedule}%`, handler: reconcile });
