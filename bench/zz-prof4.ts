import { createArmReader } from '../lib/azure/arm.js';
import { armSource } from '../lib/azure/arm-source.js';
import { createReadBudgets } from '../lib/azure/budget.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential } from '../test/support/arm-transport.js';
import { syntheticEstate } from '../test/support/arm-estate.js';
import { readScopeEstate } from '../lib/pipeline/targeted.js';
const estate = syntheticEstate({ nsgs: 200, vnets: 20, nics: 1000, seed: 7 });
const transport = createArmTransport();
serveEstate(transport, createArmEstate(estate.resources), { pageSize: 100 });
const reader = createArmReader({ credential: testCredential(), httpClient: transport, budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }) });
const source = armSource({ reader, subscriptions: [estate.subscriptionId] });
const sub = estate.subscriptionId.toLowerCase();
for (const name of process.argv.slice(2)) {
  const id = estate.resources.find((r) => r['name'] === name)!['id'] as string;
  const before = transport.requests.length;
  const read = await readScopeEstate(source.targeted!, { kind: 'nsg', id: id.toLowerCase(), subscriptionId: sub });
  const reqs = transport.requests.slice(before);
  const byType = new Map<string, number>();
  for (const r of reqs) { const seg = r.path.split('/'); const t = seg.length === 6 ? `list ${seg[5]}` : seg[7] ?? '?'; byType.set(t, (byType.get(t) ?? 0) + 1); }
  console.log(name, read.kind, read.kind === 'read' ? read.rounds : '', [...byType].join(' '), read.kind === 'read' ? `affected=${read.affected.resources.size}` : '');
}
