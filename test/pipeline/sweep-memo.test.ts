/**
 * A sweep of an unchanged subscription takes the rules' last answer instead of judging it all
 * again: the rules are pure, so the same documents and service tag data give the same findings.
 * One changed byte of one resource, or new service tag data, judges afresh.
 */
import { describe, expect, it } from 'vitest';
import { createAlerter } from '../../lib/alerts/index.js';
import { createArmReader } from '../../lib/azure/arm.js';
import { armSource } from '../../lib/azure/arm-source.js';
import { createReadBudgets } from '../../lib/azure/budget.js';
import { createPipeline, type EstateEvaluator } from '../../lib/pipeline/pipeline.js';
import type { EstateSource } from '../../lib/pipeline/types.js';
import { evaluateRules } from '../../lib/runtime/catalogue.js';
import { createFindingsStore } from '../../lib/store/index.js';
import { syntheticEstate } from '../support/arm-estate.js';
import { useAzurite } from '../support/azurite.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential } from '../support/arm-transport.js';
import { freshTables } from '../store/support.js';
import type { Estate } from '../../lib/estate/model.js';

const azurite = useAzurite();

describe('a sweep of an unchanged subscription', () => {
  it('takes the last answer; a changed resource or new service tag data is judged afresh, the latter on the estate as last loaded', async () => {
    const synthetic = syntheticEstate({ seed: 5, nsgs: 12, vnets: 2, nics: 20 });
    const served = createArmEstate(synthetic.resources);
    const transport = createArmTransport();
    serveEstate(transport, served);
    const reader = createArmReader({ httpClient: transport, credential: testCredential(), budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }) });
    let tags: unknown = undefined;
    const arm = armSource({ reader, subscriptions: [synthetic.subscriptionId] });
    const source: EstateSource = { ...arm, serviceTags: () => Promise.resolve(tags) };
    let judged = 0;
    const estates: Estate[] = [];
    const evaluate: EstateEvaluator = (estate, options) => {
      judged += 1;
      estates.push(estate);
      return evaluateRules(estate, options);
    };
    const store = createFindingsStore({ connection: { kind: 'connectionString', connectionString: azurite.connectionString }, tables: freshTables('sweepmemo') });
    const pipeline = createPipeline({ source, store, alerter: createAlerter({ sinks: [] }), evaluate });

    const [first] = await pipeline.sweep();
    expect(first?.status).toBe('evaluated');
    expect(judged).toBe(1);
    const findings = first?.findings ?? 0;
    expect(findings).toBeGreaterThan(0);

    // Nothing changed: the same answer, nothing judged, nothing transitions.
    const [again] = await pipeline.sweep();
    expect(again).toMatchObject({ status: 'evaluated', findings, transitions: [] });
    expect(judged).toBe(1);

    // One NSG gains a rule that lets SSH in from the Internet: judged afresh, and it is found.
    const nsg = synthetic.resources.find((r) => r['type'] === 'Microsoft.Network/networkSecurityGroups') as Record<string, unknown>;
    const changed = structuredClone(nsg) as { id: string; properties: { securityRules: unknown[] } };
    changed.properties.securityRules.push({
      id: `${changed.id}/securityRules/ssh-from-anywhere`,
      name: 'ssh-from-anywhere',
      properties: { priority: 101, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: 'Internet', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '22' },
    });
    served.put(changed);
    const [afterChange] = await pipeline.sweep();
    expect(judged).toBe(2);
    expect(estates[1]).not.toBe(estates[0]);
    expect(afterChange?.transitions.some((t) => t.kind === 'opened' && t.finding.resourceId.toLowerCase() === changed.id.toLowerCase())).toBe(true);
    await pipeline.sweep();
    expect(judged).toBe(2);

    // New service tag data (the weekly file changed): judged afresh.
    tags = { changeNumber: 1, cloud: 'Public', values: [] };
    const [withTags] = await pipeline.sweep();
    expect(judged).toBe(3);
    // The documents are the same: so is the estate, taken as last loaded, not loaded again.
    expect(estates[2]).toBe(estates[1]);
    expect(withTags).toMatchObject({ status: 'evaluated', findings: afterChange?.findings, transitions: [] });
    // The same data fetched again (another object, as a refetch or a reread of its file gives): the last answer.
    tags = structuredClone(tags);
    await pipeline.sweep();
    expect(judged).toBe(3);
    tags = { changeNumber: 2, cloud: 'Public', values: [] };
    await pipeline.sweep();
    expect(judged).toBe(4);
  });
});
