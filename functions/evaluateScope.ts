/** Queue trigger: one coalesced scope → evaluateScope. A failure throws so the host retries, then keeps the message in the poison queue. */
import { app, type InvocationContext } from '@azure/functions';
import { FUNCTIONS, MAX_DEQUEUE_COUNT, QUEUES } from '../lib/config/names.js';
import { handleEvaluateMessage } from '../lib/pipeline/handlers.js';
import { azureRuntime } from '../lib/runtime/azure.js';


export async function evaluateScope(message: unknown, context: InvocationContext): Promise<void> {
  const metadata = context.triggerMetadata ?? {};
  const handled = await handleEvaluateMessage(
    message,
    { id: String(metadata['id'] ?? context.invocationId), dequeueCount: Number(metadata['dequeueCount'] ?? 1) },
    azureRuntime(context),
    { maxDequeueCount: MAX_DEQUEUE_COUNT },
  );
  if (handled.status === 'skipped') context.log(handled.reason);
  else context.log(`${handled.outcome.scope.kind} ${handled.outcome.scope.id}: ${handled.outcome.transitions.length} transition(s), ${handled.outcome.findings} finding(s) in ${handled.outcome.durationMs} ms`);
}

app.storageQueue(FUNCTIONS.evaluateScope, {
  queueName: QUEUES.evaluate,
  connection: 'AzureWebJobsStorage',
  handler: evaluateScope,
});
