/**
 * Replays the scripted changes: each step edits the working estate, then POSTs the change to the
 * local webhook endpoint over HTTP exactly as Event Grid would, and waits until the queued scopes
 * were evaluated, so each step's transitions print under it.
 */
import { FUNCTIONS } from '../config/names.js';
import { cloudEvent, eventGridEvent, type ResourceEventInput } from './events.js';
import { DEMO_TENANT, type ScriptStep } from './script.js';
import { EVENT_GRID_WEBHOOK_PATH } from './webhook.js';
import { assertNever } from '../nsg/index.js';

export interface DemoTarget {
  url: string;
  estateDir: string;
  waitForIdle(timeoutMs?: number): Promise<void>;
  print: (line: string) => void;
}

export async function runScript(steps: readonly ScriptStep[], target: DemoTarget): Promise<void> {
  const endpoint = `${target.url}${EVENT_GRID_WEBHOOK_PATH}?functionName=${FUNCTIONS.onResourceChange}`;
  for (const [index, step] of steps.entries()) {
    target.print('');
    target.print(`step ${index + 1}/${steps.length}  ${step.title}`);
    target.print(`          by ${step.actor.name} <${step.actor.upn}>; expect: ${step.expect}`);
    const changes = await step.apply(target.estateDir);
    const inputs: ResourceEventInput[] = changes.map((c) => ({ resourceId: c.resourceId, operation: c.operation, actor: step.actor, tenantId: DEMO_TENANT, time: new Date() }));
    const deliveries = deliveriesOf(step.schema, inputs);
    for (const delivery of deliveries) {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': delivery.contentType, 'aeg-event-type': 'Notification' },
        body: delivery.body,
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`the webhook refused step ${index + 1} (${response.status}): ${text}`);
      target.print(`          event → ${delivery.label}: ${response.status}`);
    }
    await target.waitForIdle();
  }
}

interface Delivery {
  label: string;
  contentType: string;
  body: string;
}

/** One POST per event for single CloudEvents; one array for the Event Grid schema and CloudEvents batches. */
function deliveriesOf(schema: ScriptStep['schema'], inputs: readonly ResourceEventInput[]): Delivery[] {
  const names = (input: ResourceEventInput): string => `${input.operation} ${input.resourceId.split('/').slice(-3).join('/')}`;
  switch (schema) {
    case 'eventGrid':
      return [{ label: `Event Grid schema [${inputs.map(names).join(', ')}]`, contentType: 'application/json', body: JSON.stringify(inputs.map(eventGridEvent)) }];
    case 'cloudEvents':
      return inputs.map((input) => ({ label: `CloudEvent ${names(input)}`, contentType: 'application/cloudevents+json', body: JSON.stringify(cloudEvent(input)) }));
    case 'cloudEventsBatch':
      return [{ label: `CloudEvents batch [${inputs.map(names).join(', ')}]`, contentType: 'application/cloudevents-batch+json', body: JSON.stringify(inputs.map(cloudEvent)) }];
    default:
      return assertNever(schema, 'event schema');
  }
}
