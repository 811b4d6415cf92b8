import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WATCHED_RESOURCE_TYPES } from '../../lib/config/names.js';
import { parseEvents, type ResourceChange } from '../../lib/azure/events.js';
import {
  isWatchedType,
  parseScope,
  scopeKey,
  scopesForChange,
  subscriptionScope,
  tableKeySafe,
  type Scope,
  type ScopeKind,
} from '../../lib/azure/scopes.js';

const SAMPLES = resolve(process.cwd(), '../shared/corpus/eventgrid/rest-api-specs-samples');
const SCHEMAS = ['event-grid-schema', 'cloud-events-schema'] as const;
const OPERATIONS = [
  { sample: 'resource_write_success', verb: 'write', method: 'PUT' },
  { sample: 'resource_delete_success', verb: 'delete', method: 'DELETE' },
  { sample: 'resource_action_success', verb: 'join/action', method: 'POST' },
] as const;

const SUB = '5b0e1c9a-7d3f-4e2a-9b8c-1f2e3d4c5b6a';
const RG = `/subscriptions/${SUB}/resourceGroups/Network-RG`;
const NET = `${RG}/providers/Microsoft.Network`;

/** One resource id per watched type, and the scope its change must re-evaluate. */
const WATCHED: Record<(typeof WATCHED_RESOURCE_TYPES)[number], { id: string; kind: ScopeKind; scope: string; deletedScope?: string }> = {
  'Microsoft.Network/networkSecurityGroups': { id: `${NET}/networkSecurityGroups/Web-NSG`, kind: 'nsg', scope: `${NET}/networkSecurityGroups/Web-NSG` },
  'Microsoft.Network/networkSecurityGroups/securityRules': { id: `${NET}/networkSecurityGroups/Web-NSG/securityRules/Allow-SSH`, kind: 'nsg', scope: `${NET}/networkSecurityGroups/Web-NSG` },
  'Microsoft.Network/virtualNetworks': { id: `${NET}/virtualNetworks/Hub-VNet`, kind: 'virtualNetwork', scope: `${NET}/virtualNetworks/Hub-VNet` },
  'Microsoft.Network/virtualNetworks/subnets': { id: `${NET}/virtualNetworks/Hub-VNet/subnets/AzureBastionSubnet`, kind: 'subnet', scope: `${NET}/virtualNetworks/Hub-VNet/subnets/AzureBastionSubnet` },
  'Microsoft.Network/virtualNetworks/virtualNetworkPeerings': { id: `${NET}/virtualNetworks/Hub-VNet/virtualNetworkPeerings/hub-to-spoke1`, kind: 'virtualNetwork', scope: `${NET}/virtualNetworks/Hub-VNet` },
  'Microsoft.Network/networkInterfaces': { id: `${NET}/networkInterfaces/vm1-nic`, kind: 'nic', scope: `${NET}/networkInterfaces/vm1-nic` },
  'Microsoft.Network/natGateways': { id: `${NET}/natGateways/egress-nat`, kind: 'natGateway', scope: `${NET}/natGateways/egress-nat` },
  'Microsoft.Network/bastionHosts': { id: `${NET}/bastionHosts/hub-bastion`, kind: 'bastionHost', scope: `${NET}/bastionHosts/hub-bastion` },
  'Microsoft.Network/applicationSecurityGroups': { id: `${NET}/applicationSecurityGroups/web-asg`, kind: 'asg', scope: `${NET}/applicationSecurityGroups/web-asg` },
  'Microsoft.Network/publicIPAddresses': { id: `${NET}/publicIPAddresses/web-pip`, kind: 'publicIp', scope: `${NET}/publicIPAddresses/web-pip` },
  'Microsoft.Network/loadBalancers': { id: `${NET}/loadBalancers/web-lb`, kind: 'loadBalancer', scope: `${NET}/loadBalancers/web-lb` },
  'Microsoft.Network/loadBalancers/inboundNatRules': { id: `${NET}/loadBalancers/web-lb/inboundNatRules/ssh-1`, kind: 'loadBalancer', scope: `${NET}/loadBalancers/web-lb` },
  'Microsoft.Network/loadBalancers/backendAddressPools': { id: `${NET}/loadBalancers/web-lb/backendAddressPools/web-pool`, kind: 'loadBalancer', scope: `${NET}/loadBalancers/web-lb` },
  'Microsoft.Compute/virtualMachineScaleSets': { id: `${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool1`, kind: 'scaleSet', scope: `${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool1` },
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines': {
    id: `${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool1/virtualMachines/3`,
    kind: 'scaleSet',
    scope: `${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool1`,
  },
  'Microsoft.Network/routeTables': { id: `${NET}/routeTables/spoke-rt`, kind: 'routeTable', scope: `${NET}/routeTables/spoke-rt` },
  'Microsoft.Network/routeTables/routes': { id: `${NET}/routeTables/spoke-rt/routes/to-firewall`, kind: 'routeTable', scope: `${NET}/routeTables/spoke-rt` },
  'Microsoft.Network/virtualNetworkGateways': { id: `${NET}/virtualNetworkGateways/hub-vpngw`, kind: 'virtualNetworkGateway', scope: `${NET}/virtualNetworkGateways/hub-vpngw` },
  'Microsoft.Network/connections': { id: `${NET}/connections/hub-to-onprem`, kind: 'gatewayConnection', scope: `${NET}/connections/hub-to-onprem` },
  'Microsoft.Network/localNetworkGateways': { id: `${NET}/localNetworkGateways/onprem`, kind: 'localNetworkGateway', scope: `${NET}/localNetworkGateways/onprem` },
  'Microsoft.Network/privateEndpoints': { id: `${NET}/privateEndpoints/sql-pe`, kind: 'privateEndpoint', scope: `${NET}/privateEndpoints/sql-pe` },
  // A security admin change re-judges the subscription: its groups' networks are not in the event.
  'Microsoft.Network/networkManagers': { id: `${NET}/networkManagers/avnm`, kind: 'subscription', scope: `/subscriptions/${SUB}` },
  // A service → the subnets it names; gone, it names none: its delete re-judges the subscription.
  'Microsoft.Network/applicationGateways': { id: `${NET}/applicationGateways/web-agw`, kind: 'applicationGateway', scope: `${NET}/applicationGateways/web-agw`, deletedScope: `/subscriptions/${SUB}` },
  'Microsoft.ApiManagement/service': { id: `${RG}/providers/Microsoft.ApiManagement/service/apim`, kind: 'apiManagement', scope: `${RG}/providers/Microsoft.ApiManagement/service/apim`, deletedScope: `/subscriptions/${SUB}` },
  'Microsoft.ContainerService/managedClusters': {
    id: `${RG}/providers/Microsoft.ContainerService/managedClusters/aks1`,
    kind: 'managedCluster',
    scope: `${RG}/providers/Microsoft.ContainerService/managedClusters/aks1`,
    deletedScope: `/subscriptions/${SUB}`,
  },
  'Microsoft.AAD/domainServices': { id: `${RG}/providers/Microsoft.AAD/domainServices/contoso.com`, kind: 'domainService', scope: `${RG}/providers/Microsoft.AAD/domainServices/contoso.com`, deletedScope: `/subscriptions/${SUB}` },
};

/** Types that share a prefix with a watched one or sit next to them, and must be ignored. */
const IGNORED = [
  `${NET}/loadBalancers/web-lb/probes/http`,
  `${NET}/virtualNetworkGateways/hub-vpngw/natRules/egress`,
  `${NET}/privateEndpoints/sql-pe/privateDnsZoneGroups/default`,
  `${NET}/networkInterfaces/vm1-nic/tapConfigurations/tap1`,
  `${NET}/networkWatchers/NetworkWatcher_westeurope/flowLogs/web-nsg-flowlog`,
  `${NET}/networkSecurityGroups/Web-NSG/providers/Microsoft.Insights/diagnosticSettings/to-law`,
  `${RG}/providers/Microsoft.Compute/virtualMachines/vm1`,
  `${RG}/providers/Microsoft.Storage/storageAccounts/nsgwatchst`,
  RG,
];

function typeOfId(id: string): string {
  const parts = id.split('/providers/').at(-1)?.split('/') ?? [];
  return [parts[0], ...parts.slice(1).filter((_, i) => i % 2 === 0)].join('/');
}

/**
 * The corpus sample rewritten field by field for a network resource: subject, source/topic,
 * resourceUri, authorization, operation, provider, request URL. The Event Grid write samples
 * spell `resourcegroups` in the subject; the rewrite keeps that quirk.
 */
function rewrite(schema: (typeof SCHEMAS)[number], op: (typeof OPERATIONS)[number], id: string): Record<string, unknown> {
  const event = JSON.parse(readFileSync(resolve(SAMPLES, schema, `${op.sample}.json`), 'utf8')) as Record<string, unknown>;
  const data = event['data'] as Record<string, unknown>;
  const lowerGroup = String(event['subject']).includes('/resourcegroups/');
  const subject = lowerGroup ? id.replace('/resourceGroups/', '/resourcegroups/') : id;
  const operationName = `${typeOfId(id)}/${op.verb}`;
  event['subject'] = subject;
  if (schema === 'event-grid-schema') event['topic'] = `/subscriptions/${SUB}/resourceGroups/Network-RG`;
  else event['source'] = `/subscriptions/${SUB}/resourceGroups/Network-RG`;
  data['resourceUri'] = subject;
  data['operationName'] = operationName;
  data['resourceProvider'] = id.includes('/Microsoft.Network/') ? 'Microsoft.Network' : typeOfId(id).split('/')[0];
  data['subscriptionId'] = SUB;
  const authorization = data['authorization'] as Record<string, unknown>;
  authorization['scope'] = subject;
  authorization['action'] = operationName;
  const request = data['httpRequest'] as Record<string, unknown> | undefined;
  if (request !== undefined) {
    request['method'] = op.method;
    request['url'] = `https://management.azure.com${id}${op.verb.endsWith('action') ? `/${op.verb.replace('/action', '')}` : ''}?api-version=2024-05-01`;
  }
  return event;
}

async function change(event: Record<string, unknown>): Promise<ResourceChange> {
  const result = await parseEvents(JSON.stringify(event));
  if (!result.ok) throw new Error(result.error.message);
  expect(result.errors).toEqual([]);
  const [first] = result.events;
  if (first?.kind !== 'change') throw new Error(`expected a change, got ${JSON.stringify(first)}`);
  return first.change;
}

describe('scopesForChange: every watched type, every operation, both schemas', () => {
  const cases = Object.entries(WATCHED).flatMap(([type, target]) =>
    SCHEMAS.flatMap((schema) => OPERATIONS.map((op) => ({ type, schema, verb: op.verb, op, ...target }))),
  );

  it('covers every watched type', () => {
    expect(new Set(cases.map((c) => c.type))).toEqual(new Set(WATCHED_RESOURCE_TYPES));
  });

  it.each(cases)('$schema $verb $type → $kind', async ({ type, schema, op, id, kind, scope, deletedScope }) => {
    const parsed = await change(rewrite(schema, op, id));
    expect(parsed.resourceType).toBe(type);
    expect(parsed.operation).toBe(op.verb === 'join/action' ? 'action' : op.verb);
    const result = scopesForChange(parsed);
    const expected = op.verb === 'delete' && deletedScope !== undefined ? { kind: 'subscription', id: deletedScope.toLowerCase() } : { kind, id: scope.toLowerCase() };
    expect(result).toEqual({ ok: true, scopes: [{ ...expected, subscriptionId: SUB }] });
  });

  it('maps every rule of one NSG, in any casing, to the same scope key', async () => {
    const keys = new Set<string>();
    for (const rule of ['Allow-SSH', 'deny-all', 'ALLOW-HTTPS']) {
      for (const schema of SCHEMAS) {
        const id = `${NET}/networkSecurityGroups/Web-NSG/securityRules/${rule}`;
        const cased = schema === 'cloud-events-schema' ? id.toUpperCase() : id;
        const result = scopesForChange(await change(rewrite(schema, OPERATIONS[0], cased)));
        if (!result.ok) throw new Error(result.error.message);
        for (const scope of result.scopes) keys.add(scopeKey(scope));
      }
    }
    expect([...keys]).toEqual([`nsg!subscriptions!${SUB}!resourcegroups!network-rg!providers!microsoft.network!networksecuritygroups!web-nsg`]);
  });
});

describe('scopesForChange: Virtual Network Manager changes', () => {
  const MANAGER = `${NET}/networkManagers/avnm`;
  it.each([
    `${MANAGER}/securityAdminConfigurations/guardrails`,
    `${MANAGER}/securityAdminConfigurations/guardrails/ruleCollections/internet`,
    `${MANAGER}/securityAdminConfigurations/guardrails/ruleCollections/internet/rules/deny-ssh`,
    `${MANAGER}/networkGroups/prod`,
    `${MANAGER}/networkGroups/prod/staticMembers/vnet-app`,
  ])('a write or delete of %s re-judges the subscription', async (id) => {
    for (const schema of SCHEMAS) {
      for (const op of OPERATIONS.slice(0, 2)) {
        const parsed = await change(rewrite(schema, op, id));
        // A deleted rule is named in the scope, so that its findings resolve; everything else coalesces into one sweep.
        const named = op.verb === 'delete' && id.includes('/rules/');
        expect(scopesForChange(parsed)).toEqual({ ok: true, scopes: [{ kind: 'subscription', id: named ? id.toLowerCase() : `/subscriptions/${SUB}`, subscriptionId: SUB }] });
      }
    }
  });

  it('the commit action (a deployment of configurations to regions) re-judges the subscription', async () => {
    const event = rewrite('event-grid-schema', { sample: 'resource_action_success', verb: 'commit/action', method: 'POST' } as unknown as (typeof OPERATIONS)[number], MANAGER);
    const parsed = await change(event);
    expect(parsed).toMatchObject({ operation: 'action', operationName: 'Microsoft.Network/networkManagers/commit/action', resourceType: 'Microsoft.Network/networkManagers' });
    expect(scopesForChange(parsed)).toEqual({ ok: true, scopes: [{ kind: 'subscription', id: `/subscriptions/${SUB}`, subscriptionId: SUB }] });
  });

  it.each([`${MANAGER}/connectivityConfigurations/mesh`, `${MANAGER}/routingConfigurations/udr`, `${MANAGER}/securityUserConfigurations/users`])('%s does not move an NSG verdict: ignored', async (id) => {
    expect(scopesForChange(await change(rewrite('event-grid-schema', OPERATIONS[0], id)))).toEqual({ ok: true, scopes: [] });
  });
});

describe('scopesForChange: anything else is ignored', () => {
  const cases = IGNORED.flatMap((id) => SCHEMAS.map((schema) => ({ id, schema })));
  it.each(cases)('$schema $id → no scope', async ({ id, schema }) => {
    const parsed = await change(rewrite(schema, OPERATIONS[0], id));
    expect(isWatchedType(parsed.resourceType)).toBe(false);
    expect(scopesForChange(parsed)).toEqual({ ok: true, scopes: [] });
  });

  it('the corpus samples as they are (storage, event hubs) are ignored', async () => {
    for (const schema of SCHEMAS) {
      for (const op of OPERATIONS) {
        const result = await parseEvents(readFileSync(resolve(SAMPLES, schema, `${op.sample}.json`), 'utf8'));
        if (!result.ok) throw new Error(result.error.message);
        for (const e of result.events) if (e.kind === 'change') expect(scopesForChange(e.change)).toEqual({ ok: true, scopes: [] });
      }
    }
  });

  it('decides from the type alone: an unwatched type is not parsed at all', () => {
    expect(scopesForChange({ resourceType: 'Microsoft.Compute/virtualMachines', resourceId: 'not an id' })).toEqual({ ok: true, scopes: [] });
  });
});

describe('scopesForChange: a watched type with a bad id is an error naming it', () => {
  it.each([
    { resourceType: 'Microsoft.Network/networkSecurityGroups', resourceId: 'web-nsg', code: 'invalidResourceId', field: 'resourceId' },
    { resourceType: 'Microsoft.Network/networkSecurityGroups/securityRules', resourceId: `${NET}/networkSecurityGroups/web/securityRules`, code: 'invalidResourceId', field: 'resourceId' },
    { resourceType: 'Microsoft.Network/networkSecurityGroups/securityRules', resourceId: `${NET}/networkSecurityGroups/web`, code: 'typeMismatch', field: 'resourceType' },
  ])('$resourceId', ({ resourceType, resourceId, code, field }) => {
    const result = scopesForChange({ resourceType, resourceId });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ code, field, resourceId });
      expect(result.error.message).toContain(code === 'typeMismatch' ? 'securityRules' : resourceId);
    }
  });
});

describe('scopeKey and tableKeySafe', () => {
  const FORBIDDEN = /[/\\#?\u0000-\u001f\u007f-\u009f]/;
  const nsg: Scope = { kind: 'nsg', id: `${NET}/networkSecurityGroups/Web-NSG`.toLowerCase(), subscriptionId: SUB };

  it.each([
    [nsg, `nsg!subscriptions!${SUB}!resourcegroups!network-rg!providers!microsoft.network!networksecuritygroups!web-nsg`],
    [{ ...nsg, id: nsg.id.toUpperCase() }, `nsg!subscriptions!${SUB}!resourcegroups!network-rg!providers!microsoft.network!networksecuritygroups!web-nsg`],
    [subscriptionScope(SUB.toUpperCase()), `subscription!subscriptions!${SUB}`],
    [{ kind: 'subnet', id: `/subscriptions/${SUB}/resourcegroups/rg (ü)/providers/microsoft.network/virtualnetworks/v/subnets/a_b`, subscriptionId: SUB }, `subnet!subscriptions!${SUB}!resourcegroups!rg~0020(~00fc)!providers!microsoft.network!virtualnetworks!v!subnets!a_b`],
  ] as [Scope, string][])('%j → %s', (scope, key) => {
    expect(scopeKey(scope)).toBe(key);
  });

  it('keeps kinds apart', () => {
    expect(scopeKey({ ...nsg, kind: 'nic' })).not.toBe(scopeKey(nsg));
  });

  it.each([
    ['a/b', 'a!b'],
    ['a!b', 'a~0021b'],
    ['a~b', 'a~007eb'],
    ['#?\\', '~0023~003f~005c'],
    ['\u0000\u001f\u007f', '~0000~001f~007f'],
    ['😀', '~d83d~de00'],
  ])('tableKeySafe(%j) = %j', (text, key) => {
    expect(tableKeySafe(text)).toBe(key);
  });

  it('bounds long ids and keeps them distinct', () => {
    const long = `${NET}/networkSecurityGroups/${'n'.repeat(600)}`.toLowerCase();
    const a = scopeKey({ ...nsg, id: `${long}a` });
    const b = scopeKey({ ...nsg, id: `${long}b` });
    expect(a.length).toBeLessThanOrEqual(480);
    expect(b.length).toBeLessThanOrEqual(480);
    expect(a).not.toBe(b);
  });

  it('is always key-safe and never maps two texts to one key (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 120 }), (x, y) => {
        const kx = tableKeySafe(x);
        expect(kx).not.toMatch(FORBIDDEN);
        if (x !== y) expect(kx).not.toBe(tableKeySafe(y));
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseScope', () => {
  it('reads back what it wrote, normalised', () => {
    const scope: Scope = { kind: 'subnet', id: `${NET}/virtualNetworks/Hub-VNet/subnets/A`, subscriptionId: SUB.toUpperCase() };
    expect(parseScope(JSON.parse(JSON.stringify(scope)))).toEqual({ kind: 'subnet', id: scope.id.toLowerCase(), subscriptionId: SUB });
    expect(parseScope(subscriptionScope(SUB))).toEqual(subscriptionScope(SUB));
  });

  it.each([
    null,
    'nsg',
    { kind: 'router', id: `${NET}/networkSecurityGroups/a`, subscriptionId: SUB },
    { kind: 'nsg', id: 'a', subscriptionId: SUB },
    { kind: 'nsg', id: `${NET}/networkSecurityGroups/a`, subscriptionId: 'another' },
    { kind: 'nsg', id: `${NET}/networkSecurityGroups/a` },
  ])('rejects %j', (value) => {
    expect(parseScope(value)).toBeUndefined();
  });
});
