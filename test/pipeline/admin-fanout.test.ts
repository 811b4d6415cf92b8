/**
 * A security admin change re-judges every watched subscription: a network manager's groups may
 * hold networks of any subscription in its scope
 * (https://learn.microsoft.com/azure/virtual-network-manager/concept-network-manager-scope), and
 * each network's effective security admin rules are read in the network's own subscription. The
 * Event Grid handler over a real coalescer (Azurite table and queue).
 */
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { describe, expect, it } from 'vitest';
import { createCoalescer, decodeEvaluateMessage } from '../../lib/azure/coalesce.js';
import { eventGridEvent } from '../../lib/dev/events.js';
import { handleResourceEvents } from '../../lib/pipeline/handlers.js';
import { useAzurite } from '../support/azurite.js';

const azurite = useAzurite();

const A = '5e5e5e5e-0000-4000-8000-0000000f0001';
const B = '5e5e5e5e-0000-4000-8000-0000000f0002';
const C = '5e5e5e5e-0000-4000-8000-0000000f0003';
const MANAGER = `/subscriptions/${A}/resourceGroups/rg-avnm/providers/Microsoft.Network/networkManagers/avnm`;
const actor = { name: 'Admin', upn: 'admin@contoso.example', objectId: '00000000-0000-0000-0000-0000000000ad' };

async function deliver(label: string, resourceId: string, watched: string[]) {
  const queue = new QueueClient(azurite.connectionString, `fanout-${label}-${process.pid}`);
  const coalescer = createCoalescer({
    table: TableClient.fromConnectionString(azurite.connectionString, `fanout${label}${process.pid}`, { allowInsecureConnection: true }),
    queue,
    delaySeconds: 0,
  });
  await coalescer.ensureResources();
  const event = eventGridEvent({ resourceId, operation: 'write', actor, tenantId: actor.objectId, time: new Date() });
  const rt = { coalescer, log: () => undefined, watched: () => Promise.resolve(watched) };
  const first = await handleResourceEvents(event, rt);
  // The same change delivered again while the windows are open: absorbed by them.
  const again = await handleResourceEvents(event, rt);
  const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
  const scopes = receivedMessageItems.map((m) => {
    const decoded = decodeEvaluateMessage(m.messageText);
    if (!decoded.ok) throw new Error(decoded.reason);
    return [decoded.message.scope.kind, decoded.message.scope.subscriptionId];
  });
  return { first, again, scopes };
}

describe('a security admin change in one subscription', () => {
  it('re-judges every watched subscription, each once', async () => {
    const { first, again, scopes } = await deliver('admin', `${MANAGER}/securityAdminConfigurations/sec/ruleCollections/guard/rules/deny-rdp`, [A, B.toUpperCase(), C, ` ${B} `]);
    expect(first.enqueued).toBe(3);
    expect(again).toMatchObject({ enqueued: 0, coalesced: 3 });
    expect(scopes.sort()).toEqual([['subscription', A], ['subscription', B], ['subscription', C]]);
  });

  it('from a subscription outside the watched list: its own scope, and every watched subscription', async () => {
    const { scopes } = await deliver('unwatched', MANAGER, [B]);
    expect(scopes.sort()).toEqual([['subscription', A], ['subscription', B]]);
  });

  it('any other change re-judges only its own scope', async () => {
    const nsg = `/subscriptions/${A}/resourceGroups/rg-app/providers/Microsoft.Network/networkSecurityGroups/nsg-app`;
    const { first, scopes } = await deliver('nsg', `${nsg}/securityRules/allow-https`, [A, B, C]);
    expect(first.enqueued).toBe(1);
    expect(scopes).toEqual([['nsg', A]]);
  });
});
