/**
 * The Functions end to end, as the host would call them: Event Grid trigger → coalescing queue on
 * Azurite → queue trigger → evaluateScope over the real NetworkManagementClient (test transport
 * serving the sample estate in REST shape) → findings store on Azurite; and the reconcile timer.
 */
import { InvocationContext, type EventGridEvent, type Timer } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { beforeAll, describe, expect, it } from 'vitest';
import { onResourceChange } from '../../functions/onResourceChange.js';
import { evaluateScope } from '../../functions/evaluateScope.js';
import { reconcile } from '../../functions/reconcile.js';
import { dispatchAlerts } from '../../functions/dispatchAlerts.js';
import { createArmReader, INVENTORY_TYPES } from '../../lib/azure/arm.js';
import { QUEUES } from '../../lib/config/names.js';
import { eventGridEvent } from '../../lib/dev/events.js';
import { useAzurite } from '../support/azurite.js';
import { azureRuntime, configureAzureRuntime } from '../../lib/runtime/azure.js';
import type { StoredFinding } from '../../lib/store/index.js';
import {
  createArmEstate,
  createArmTransport,
  serveEstate,
  testCredential,
  type ArmEstate,
  type ArmTransport,
} from '../support/arm-transport.js';
import { withBackReferences, sampleEstateResources } from '../support/arm-estate.js';

const SUB = '0b5e7a1c-9d2f-4e6b-8a3c-1f2d3e4c5b6a';
const NET = `/subscriptions/${SUB}/resourceGroups/rg-nsgwatch-demo/providers/Microsoft.Network`;

type Json = Record<string, unknown>;

function context(name: string, triggerMetadata: Record<string, unknown> = {}): InvocationContext & { lines: string[] } {
  const lines: string[] = [];
  const ctx = new InvocationContext({
    functionName: name,
    invocationId: `test-${name}`,
    triggerMetadata,
    logHandler: (level, ...args) => lines.push(`${level}: ${args.map(String).join(' ')}`),
  });
  return Object.assign(ctx, { lines });
}

const actor = { name: 'Dana Ops', upn: 'dana@contoso.example', objectId: '6a1f0c3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f' };

function changeEvent(resourceId: string, operation: 'write' | 'delete'): EventGridEvent {
  return eventGridEvent({ resourceId, operation, actor, tenantId: '11111111-2222-3333-4444-555555555555', time: new Date() }) as unknown as EventGridEvent;
}

describe('Functions end to end', () => {
  const azurite = useAzurite();
  let transport: ArmTransport;
  let estate: ArmEstate;
  let queue: QueueClient;

  beforeAll(async () => {
    transport = createArmTransport();
    // Served as ARM serves it: with the back-references the hand-written sample leaves out.
    estate = createArmEstate(withBackReferences(sampleEstateResources()));
    serveEstate(transport, estate);
    const credential = testCredential();
    configureAzureRuntime({
      env: { AzureWebJobsStorage: azurite.connectionString, NSGWATCH_SUBSCRIPTION_IDS: SUB, NSGWATCH_COALESCE_SECONDS: '0' },
      credential,
      armReader: createArmReader({ httpClient: transport, credential, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }),
    });
    const rt = azureRuntime(context('setup'));
    await rt.store.ensureTables();
    await rt.coalescer.ensureResources();
    queue = new QueueClient(azurite.connectionString, QUEUES.evaluate);
  });


  async function openFindings(): Promise<StoredFinding[]> {
    const page = await azureRuntime(context('read')).store.listFindings({ status: 'open', limit: 500 });
    return page.items;
  }

  /** What the host does: take each message off the queue and hand its JSON to the queue trigger. */
  async function drainQueue(): Promise<number> {
    let handled = 0;
    for (;;) {
      const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 16 });
      if (receivedMessageItems.length === 0) return handled;
      for (const m of receivedMessageItems) {
        const body = JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as unknown;
        await evaluateScope(body, context('evaluateScope', { id: m.messageId, dequeueCount: m.dequeueCount }));
        await queue.deleteMessage(m.messageId, m.popReceipt);
        handled += 1;
      }
    }
  }

  it('reconcile sweeps the subscription and opens the sample findings', async () => {
    await reconcile({} as Timer, context('reconcile'));
    const open = await openFindings();
    const has = (ruleId: string, name: string): boolean => open.some((f) => f.ruleId === ruleId && f.resourceName === name);
    expect(has('NSG-001', 'nsg-shared')).toBe(true);
    expect(has('NSG-005', 'nsg-db')).toBe(true);
    expect(has('NAT-001', 'snet-batch')).toBe(true);
    expect(has('NSG-012', 'nsg-orphan')).toBe(true);
    expect(open.some((f) => f.ruleId === 'NSG-002')).toBe(false);
  });

  it('the dispatch timer leaves nothing in the outbox the sinks have not had', async () => {
    const ctx = context('dispatchAlerts');
    await dispatchAlerts({} as Timer, ctx);
    expect((await azureRuntime(ctx).store.pendingNotifications()).count).toBe(0);
  });

  // nsg-web guards snet-web, whose NICs have no NSG of their own: an Allow above its SSH Deny exposes them.
  it('turns a burst of events on one rule into one evaluation that opens the finding, naming who changed it', async () => {
    const nsg = estate.get(`${NET}/networkSecurityGroups/nsg-web`);
    const rules = (nsg?.['properties'] as { securityRules: Json[] }).securityRules;
    const ruleId = `${NET}/networkSecurityGroups/nsg-web/securityRules/AllowSshFromInternet`;
    rules.push({
      name: 'AllowSshFromInternet',
      id: ruleId,
      properties: { priority: 150, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: 'Internet', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '22' },
    });
    for (let i = 0; i < 5; i++) await onResourceChange(changeEvent(ruleId, 'write'), context('onResourceChange'));
    expect(await drainQueue()).toBe(1);
    const ssh = (await openFindings()).filter((f) => f.ruleId === 'NSG-002');
    expect(ssh.map((f) => f.resourceName)).toEqual(['nsg-web']);
    expect(ssh[0]?.changedBy).toBe(actor.upn);
  });

  it('resolves nothing when ARM cannot be read, and the queue trigger throws so the host retries', async () => {
    const before = (await openFindings()).map((f) => f.id).sort();
    const nsg = estate.get(`${NET}/networkSecurityGroups/nsg-web`);
    (nsg?.['properties'] as { securityRules: Json[] }).securityRules.pop();
    // Every attempt at the NIC list fails: the inventory is incomplete.
    transport.failNext(
      Array.from({ length: 10 }, () => ({ kind: 'status' as const, status: 500 })),
      (request) => request.url.pathname.toLowerCase().endsWith('/providers/microsoft.network/networkinterfaces'),
    );
    await onResourceChange(changeEvent(`${NET}/networkSecurityGroups/nsg-web/securityRules/AllowSshFromInternet`, 'delete'), context('onResourceChange'));
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 1 });
    const message = receivedMessageItems[0];
    expect(message).toBeDefined();
    if (!message) return;
    const body = JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8')) as unknown;
    await expect(evaluateScope(body, context('evaluateScope', { id: message.messageId, dequeueCount: 1 }))).rejects.toThrow(/could not read/);
    expect((await openFindings()).map((f) => f.id).sort()).toEqual(before);
    // The retry, once ARM answers again, reads the fix and resolves the finding.
    transport.clearFaults();
    await evaluateScope(body, context('evaluateScope', { id: message.messageId, dequeueCount: 2 }));
    await queue.deleteMessage(message.messageId, message.popReceipt);
    expect((await openFindings()).some((f) => f.ruleId === 'NSG-002')).toBe(false);
  });

  it('judges the NSG a subnet dropped; a subscription this small is read whole, in a few lists', async () => {
    const vnet = estate.get(`${NET}/virtualNetworks/vnet-spoke-data`) as { properties: { subnets: { name: string; id: string; properties: Json }[] } };
    const subnet = vnet.properties.subnets.find((s) => s.name === 'snet-egress');
    if (!subnet) throw new Error('no snet-egress');
    const nsgId = (subnet.properties['networkSecurityGroup'] as { id: string }).id;
    expect(nsgId).toMatch(/nsg-egress$/);
    delete subnet.properties['networkSecurityGroup'];
    const nsg = estate.get(nsgId) as { properties: { subnets: { id: string }[] } };
    nsg.properties.subnets = nsg.properties.subnets.filter((s) => s.id.toLowerCase() !== subnet.id.toLowerCase());
    const before = transport.requests.length;

    await onResourceChange(changeEvent(subnet.id, 'write'), context('onResourceChange'));
    expect(await drainQueue()).toBe(1);

    const open = await openFindings();
    expect(open.some((f) => f.ruleId === 'NSG-012' && f.resourceName === 'nsg-egress')).toBe(true);
    expect(open.some((f) => f.ruleId === 'NSG-010' && f.resourceName === 'snet-egress')).toBe(true);
    // The sweep's inventory took a handful of requests: cheaper than reading the scope by id.
    // Lists only (GET), and each network's security admin rules (POST, one per virtual network).
    const gets = transport.requests.slice(before).filter((r) => r.method === 'GET').map((r) => r.path.toLowerCase());
    const posts = transport.requests.slice(before).filter((r) => r.method === 'POST').map((r) => r.path.toLowerCase());
    expect(gets.filter((p) => p.includes('/resourcegroups/'))).toEqual([]);
    expect(gets.length).toBeLessThanOrEqual(INVENTORY_TYPES.length);
    expect(posts.every((p) => p.endsWith('/listnetworkmanagereffectivesecurityadminrules'))).toBe(true);
  });

  it('resolves the findings of a deleted NSG', async () => {
    const orphan = `${NET}/networkSecurityGroups/nsg-orphan`;
    estate.remove(orphan);
    await onResourceChange(changeEvent(orphan, 'delete'), context('onResourceChange'));
    await drainQueue();
    expect((await openFindings()).some((f) => f.resourceName === 'nsg-orphan')).toBe(false);
    const resolved = await azureRuntime(context('read')).store.listFindings({ status: 'resolved', ruleId: 'NSG-012' });
    expect(resolved.items.map((f) => f.resourceName)).toContain('nsg-orphan');
  });
});
