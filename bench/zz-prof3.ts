import { createArmReader } from '../lib/azure/arm.js';
import { armSource } from '../lib/azure/arm-source.js';
import { createReadBudgets } from '../lib/azure/budget.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential } from '../test/support/arm-transport.js';
import { syntheticEstate } from '../test/support/arm-estate.js';
import { readScopeEstate } from '../lib/pipeline/targeted.js';
import { evaluateRules } from '../lib/runtime/catalogue.js';
import { normalizeId } from '../lib/rules/finding.js';
const kind = process.argv[2] ?? 'nsg';
const estate = syntheticEstate({ nsgs: 200, vnets: 20, nics: 1000, seed: 7 });
const transport = createArmTransport();
serveEstate(transport, createArmEstate(estate.resources), { pageSize: 100, immutable: true });
const reader = createArmReader({ credential: testCredential(), httpClient: transport, budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }) });
const source = armSource({ reader, subscriptions: [estate.subscriptionId] });
const sub = estate.subscriptionId.toLowerCase();
const type = kind === 'nsg' ? 'Microsoft.Network/networkSecurityGroups' : 'Microsoft.Network/networkInterfaces';
const ids = estate.resources.filter((r) => r['type'] === type).map((r) => normalizeId(String(r['id'])));
const rows: string[] = []; (globalThis as any).T = { get: 0, list: 0, load: 0, needs: 0 };
for (let i = 0; i < 40; i++) {
  const id = ids[(i * 7) % ids.length]!;
  const before = transport.requests.length;
  const t0 = performance.now();
  const read = await readScopeEstate(source.targeted!, { kind: kind as any, id, subscriptionId: sub });
  const t1 = performance.now();
  let tr = 0, judged = 0, size = 0;
  if (read.kind === 'read') {
    const t2 = performance.now();
    const out = evaluateRules(read.estate, { only: read.affected.resources, serviceTags: undefined });
    tr = performance.now() - t2; judged = out.judged.length;
    size = read.estate.networkSecurityGroups.size + read.estate.networkInterfaces.size + read.estate.subnets.size;
  }
  const reqs = transport.requests.slice(before);
  const lists = reqs.filter((r) => r.path.split('/').length === 6).map((r) => r.path.split('/').at(-1)).join(',');
  rows.push(`${id.split('/').at(-1)} ${read.kind} ${read.kind === 'read' ? read.rounds : ''} read=${(t1 - t0).toFixed(1)}ms rules=${tr.toFixed(1)}ms reqs=${reqs.length} lists=[${lists}] estate=${size} judged=${judged} ${read.kind === 'too-large' ? read.reason : ''}`);
}
console.log(rows.join('\n')); console.log((globalThis as any).T);
