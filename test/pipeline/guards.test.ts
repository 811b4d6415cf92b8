/**
 * The guard memory in the pipeline, on Azurite and the real ARM client: a subnet that drops its
 * NSG is judged with the NSG it had, and an evaluation whose record of it cannot be written fails
 * for a retry, with each transition stored and announced once.
 */
import { createDefaultHttpClient, RestError } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { createAlerter, type AlertSummary } from '../../lib/alerts/index.js';
import { createArmReader } from '../../lib/azure/arm.js';
import { armSource } from '../../lib/azure/arm-source.js';
import { useAzurite } from '../support/azurite.js';
import { createPipeline } from '../../lib/pipeline/pipeline.js';
import { normalizeId } from '../../lib/arm/index.js';
import { evaluateRules } from '../../lib/runtime/catalogue.js';
import { createFindingsStore, type StoreHttpClient } from '../../lib/store/index.js';
import { withBackReferences, sampleEstateResources } from '../support/arm-estate.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential } from '../support/arm-transport.js';
import { freshTables } from '../store/support.js';

type Json = Record<string, unknown>;
const SUB = '0b5e7a1c-9d2f-4e6b-8a3c-1f2d3e4c5b6a';
const NET = `/subscriptions/${SUB}/resourceGroups/rg-nsgwatch-demo/providers/Microsoft.Network`;

/** Table Storage as it is, except that writes of guard rows fail like a dropped connection while `failing`. */
function guardFaults(): { httpClient: StoreHttpClient; failing: boolean } {
  const inner = createDefaultHttpClient();
  const state = {
    failing: false,
    httpClient: {
      async sendRequest(request) {
        const body = typeof request.body === 'string' ? request.body : '';
        if (state.failing && request.method !== 'GET' && /RowKey='g(!|%21)/.test(`${request.url}\n${body}`)) {
          throw new RestError('connection cut by the test', { code: 'ECONNRESET', request });
        }
        return inner.sendRequest(request);
      },
    } satisfies StoreHttpClient,
  };
  return state;
}

describe('guard memory in the pipeline', () => {
  const azurite = useAzurite();

  it('judges the NSG a subnet dropped; a failed record fails the evaluation, and the retry completes it once', async () => {
    const transport = createArmTransport();
    const estate = createArmEstate(withBackReferences(sampleEstateResources()));
    serveEstate(transport, estate);
    const reader = createArmReader({ httpClient: transport, credential: testCredential(), retry: { maxAttempts: 1 } });
    const faults = guardFaults();
    const store = createFindingsStore({
      connection: { kind: 'connectionString', connectionString: azurite.connectionString },
      tables: freshTables('pipelineguards'),
      httpClient: faults.httpClient,
      retry: { maxRetries: 1, retryDelayInMs: 1, maxRetryDelayInMs: 2 },
    });
    const announced: AlertSummary[] = [];
    const alerter = createAlerter({
      sinks: [{ name: 'test', digests: false, send: async (messages) => void announced.push(...messages.flatMap((m) => (m.kind === 'transition' ? [m.alert] : []))) }],
    });
    // Events read by id here, however small the subscription.
    const pipeline = createPipeline({ source: armSource({ reader, subscriptions: [SUB] }), store, alerter, evaluate: evaluateRules, inventoryPreferredUpTo: 0 });

    const [swept] = await pipeline.sweep();
    expect(swept?.status).toBe('evaluated');

    // snet-egress drops nsg-egress; ARM updates the NSG's back-reference.
    const vnet = estate.get(`${NET}/virtualNetworks/vnet-spoke-data`) as { properties: { subnets: { name: string; id: string; properties: Json }[] } };
    const subnet = vnet.properties.subnets.find((s) => s.name === 'snet-egress');
    if (!subnet) throw new Error('no snet-egress');
    const nsgId = `${NET}/networkSecurityGroups/nsg-egress`;
    delete subnet.properties['networkSecurityGroup'];
    const nsg = estate.get(nsgId) as { properties: { subnets: { id: string }[] } };
    nsg.properties.subnets = nsg.properties.subnets.filter((s) => s.id.toLowerCase() !== subnet.id.toLowerCase());
    const scope = { kind: 'subnet' as const, id: normalizeId(subnet.id), subscriptionId: SUB };
    const unattached = (a: AlertSummary): boolean => a.ruleId === 'NSG-012' && a.resourceName === 'nsg-egress';

    faults.failing = true;
    const before = transport.requests.length;
    const first = await pipeline.evaluateScope(scope);
    // The NSG it dropped is read by id; the NSGs are not listed.
    const paths = transport.requests.slice(before).map((r) => r.path.toLowerCase());
    expect(paths).toContain(nsgId.toLowerCase());
    expect(paths.some((p) => p.endsWith('/providers/microsoft.network/networksecuritygroups'))).toBe(false);
    expect(first.status).toBe('failed');
    expect(first.failure).toMatch(/could not record what guards the subnets and NICs/);
    // The findings were stored before the record failed: their transitions are announced already.
    expect(announced.filter(unattached).map((a) => a.kind)).toEqual(['opened']);
    expect((await store.recallGuards({ subscriptionId: SUB, resources: [subnet.id] })).records.get(scope.id)?.nsg).toBe(normalizeId(nsgId));

    faults.failing = false;
    const retry = await pipeline.evaluateScope(scope);
    expect(retry.status).toBe('evaluated');
    expect(retry.transitions).toEqual([]);
    expect(announced.filter(unattached).map((a) => a.kind)).toEqual(['opened']);
    expect((await store.recallGuards({ subscriptionId: SUB, resources: [subnet.id] })).records.get(scope.id)).toEqual({ nsg: '', asgs: '' });

    // Once recorded, the next event for the subnet judges no NSG it no longer had.
    const again = await pipeline.evaluateScope(scope);
    expect(again.status).toBe('evaluated');
    expect(again.judged).toBeLessThan(retry.judged);
  });
});
