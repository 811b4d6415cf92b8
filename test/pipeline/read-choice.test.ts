/**
 * Which read an event gets: by id when the subscription's inventory takes many ARM requests,
 * the whole inventory when the last one took about a page per list (a targeted read would spend more).
 */
import { describe, expect, it } from 'vitest';
import { createAlerter } from '../../lib/alerts/index.js';
import { createArmReader, INVENTORY_TYPES } from '../../lib/azure/arm.js';
import { armSource } from '../../lib/azure/arm-source.js';
import { createReadBudgets } from '../../lib/azure/budget.js';
import { useAzurite } from '../support/azurite.js';
import { createPipeline } from '../../lib/pipeline/pipeline.js';
import { normalizeId } from '../../lib/arm/index.js';
import { evaluateRules } from '../../lib/runtime/catalogue.js';
import { createFindingsStore } from '../../lib/store/index.js';
import { syntheticEstate } from '../support/arm-estate.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential } from '../support/arm-transport.js';
import { freshTables } from '../store/support.js';

const azurite = useAzurite();

describe('the read an event gets', () => {
  it.each([
    { pageSize: 2, byId: true },
    { pageSize: 100, byId: false },
  ])('inventory pages of $pageSize: by id = $byId', async ({ pageSize, byId }) => {
    const synthetic = syntheticEstate({ seed: 21, nsgs: 30, vnets: 3, nics: 40 });
    const transport = createArmTransport();
    serveEstate(transport, createArmEstate(synthetic.resources), { pageSize });
    const reader = createArmReader({
      httpClient: transport,
      credential: testCredential(),
      budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }),
    });
    const store = createFindingsStore({
      connection: { kind: 'connectionString', connectionString: azurite.connectionString },
      tables: freshTables(`readchoice${pageSize}`),
    });
    const pipeline = createPipeline({
      source: armSource({ reader, subscriptions: [synthetic.subscriptionId] }),
      store,
      alerter: createAlerter({ sinks: [] }),
      evaluate: evaluateRules,
    });
    const [swept] = await pipeline.sweep();
    expect(swept?.status).toBe('evaluated');
    const sweepRequests = transport.requests.length;
    // The lists (GET); each network's security admin rules (POST) are read by a targeted read too.
    expect(transport.requests.filter((r) => r.method === 'GET').length > INVENTORY_TYPES.length).toBe(byId);

    const nsg = synthetic.resources.find((r) => r['type'] === 'Microsoft.Network/networkSecurityGroups');
    const outcome = await pipeline.evaluateScope({ kind: 'nsg', id: normalizeId(String(nsg?.['id'])), subscriptionId: synthetic.subscriptionId.toLowerCase() });
    expect(outcome.status).toBe('evaluated');
    const paths = transport.requests.slice(sweepRequests).map((r) => r.path.toLowerCase());
    const listsNsgs = paths.some((p) => p.endsWith('/providers/microsoft.network/networksecuritygroups'));
    expect(paths.includes(normalizeId(String(nsg?.['id'])))).toBe(byId);
    expect(listsNsgs).toBe(!byId);
  });
});
