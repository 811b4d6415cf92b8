import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { createArmReader, type ArmReader, type ArmReaderOptions } from '../../lib/azure/arm.js';
import { apiVersionOf, NETWORK_API_VERSION } from '../../lib/azure/arm-rest.js';
import { ARM_READ_POLICY_NAME } from '../../lib/azure/arm-policy.js';
import { createReadBudgets, DEFAULT_READ_BUDGET } from '../../lib/azure/budget.js';
import {
  cassetteResources,
  createArmEstate,
  createArmTransport,
  createVirtualClock,
  restExampleBody,
  restExampleList,
  serveEstate,
  testCredential,
  type ArmTransport,
} from '../support/arm-transport.js';
import { syntheticEstate } from '../support/arm-estate.js';
import { apiManagementService, domainService, managedCluster } from '../support/service-shapes.js';

const ARM = 'https://management.azure.com';

/** Any socket opened while these tests run would be a request leaving the test transport. */
let socketConnect: MockInstance;
let tlsConnect: MockInstance;
beforeAll(() => {
  socketConnect = vi.spyOn(net.Socket.prototype, 'connect');
  tlsConnect = vi.spyOn(tls, 'connect');
});
afterAll(() => {
  expect(socketConnect).not.toHaveBeenCalled();
  expect(tlsConnect).not.toHaveBeenCalled();
  vi.restoreAllMocks();
});

interface Harness {
  reader: ArmReader;
  transport: ArmTransport;
  clock: ReturnType<typeof createVirtualClock>;
  credential: ReturnType<typeof testCredential>;
}

function harness(options: Partial<ArmReaderOptions> = {}): Harness {
  const clock = createVirtualClock();
  const transport = createArmTransport({ clock });
  const credential = testCredential();
  const reader = createArmReader({
    credential,
    httpClient: transport,
    clock,
    random: () => 0.5,
    identity: 'test-identity',
    ...options,
  });
  return { reader, transport, clock, credential };
}

/** Serves one REST example body at the path of its id (GET). */
function serveExample(transport: ArmTransport, body: unknown): void {
  const id = (body as { id: string }).id;
  transport.on('GET', id, () => ({ status: 200, body }));
}

/** A REST example of the 2024-07-01 folder: its 200 body, read in place. */
function newerExample(name: string): unknown {
  const path = fileURLToPath(new URL(`../../../shared/corpus/rest-api-examples/2024-07-01/${name}.json`, import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { responses: { 200: { body: unknown } } }).responses[200].body;
}

const field = (value: unknown, key: string): unknown => (value as Record<string, unknown>)[key];
const restField = (value: unknown, key: string): unknown[] => (field(field(value, 'properties'), key) as unknown[] | undefined) ?? [];

describe('NETWORK_API_VERSION', () => {
  it('is the api-version the installed SDK sends', async () => {
    const { reader, transport } = harness();
    const body = restExampleBody('NetworkSecurityGroupGet');
    serveExample(transport, body);
    const id = String(field(body, 'id'));
    await reader.client('subid').networkSecurityGroups.get(id.split('/')[4] ?? '', id.split('/').pop() ?? '');
    expect(transport.requests.map((r) => new URL(r.url).searchParams.get('api-version'))).toEqual([NETWORK_API_VERSION]);
  });
});

describe('readInventory', () => {
  it('reads the fourteen lists of the REST API examples and specifications, exactly as served, with types', async () => {
    const { reader, transport, credential } = harness();
    const lists: [string, string][] = [
      ['networkSecurityGroups', 'NetworkSecurityGroupListAll'],
      ['networkInterfaces', 'NetworkInterfaceListAll'],
      ['natGateways', 'NatGatewayListAll'],
      ['bastionHosts', 'BastionHostListBySubscription'],
      ['applicationSecurityGroups', 'ApplicationSecurityGroupListAll'],
    ];
    for (const [type, example] of lists) {
      transport.on('GET', `/subscriptions/subid/providers/Microsoft.Network/${type}`, () => ({ status: 200, body: restExampleBody(example) }));
    }
    transport.on('GET', '/subscriptions/subid/providers/Microsoft.Network/virtualNetworks', () => ({
      status: 200,
      body: { value: [restExampleBody('VirtualNetworkGet')] },
    }));
    // Public IPs and load balancers, from the 2024-07-01 examples.
    const publicIps = newerExample('PublicIpAddressListAll') as { value: unknown[] };
    const loadBalancers = newerExample('LoadBalancerList') as { value: unknown[] };
    transport.on('GET', '/subscriptions/subid/providers/Microsoft.Network/publicIPAddresses', () => ({ status: 200, body: publicIps }));
    transport.on('GET', '/subscriptions/subid/providers/Microsoft.Network/loadBalancers', () => ({ status: 200, body: loadBalancers }));
    // Route tables and private endpoints, from the 2024-07-01 examples (their lists by resource group: the same body shape).
    const routeTables = newerExample('RouteTableList') as { value: unknown[] };
    const endpoints = newerExample('PrivateEndpointList') as { value: unknown[] };
    transport.on('GET', '/subscriptions/subid/providers/Microsoft.Network/routeTables', () => ({ status: 200, body: routeTables }));
    transport.on('GET', '/subscriptions/subid/providers/Microsoft.Network/privateEndpoints', () => ({ status: 200, body: endpoints }));
    // The services that own or use a subnet: application gateways from the 2024-07-01 examples,
    // API Management, AKS and Domain Services in their specifications' shapes.
    const gateways = newerExample('ApplicationGatewayList') as { value: unknown[] };
    const subnet = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1/subnets';
    const services = {
      'Microsoft.ApiManagement/service': [apiManagementService('/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apim1', `${subnet}/apim`)],
      'Microsoft.ContainerService/managedClusters': [managedCluster('/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/aks1', 'MC_rg1_aks1_westus', [`${subnet}/aks`])],
      'Microsoft.AAD/domainServices': [domainService('/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.AAD/DomainServices/TestDomainService.com', `${subnet}/aadds`)],
    };
    transport.on('GET', '/subscriptions/subid/providers/Microsoft.Network/applicationGateways', () => ({ status: 200, body: gateways }));
    for (const [type, value] of Object.entries(services)) transport.on('GET', `/subscriptions/subid/providers/${type}`, () => ({ status: 200, body: { value } }));

    const inventory = await reader.readInventory('subid');

    expect(inventory.failures).toEqual([]);
    expect(inventory.reads).toBe(14);
    expect(transport.unrouted).toEqual([]);
    const expectedResources = [
      ...restExampleList('NetworkSecurityGroupListAll'),
      restExampleBody('VirtualNetworkGet'),
      ...restExampleList('NetworkInterfaceListAll'),
      ...restExampleList('NatGatewayListAll'),
      ...restExampleList('BastionHostListBySubscription'),
      ...restExampleList('ApplicationSecurityGroupListAll'),
      ...publicIps.value,
      ...loadBalancers.value,
      ...routeTables.value,
      ...endpoints.value,
      ...gateways.value,
      ...Object.values(services).flat(),
    ];
    expect(inventory.resources.map((r) => field(r, 'id'))).toEqual(expectedResources.map((r) => field(r, 'id')));
    for (const resource of inventory.resources) expect(field(resource, 'type')).toMatch(/^Microsoft\.(Network|ApiManagement|ContainerService|AAD)\/[a-zA-Z]+$/i);
    // Lists hand over the REST bodies as served (types added where the examples leave them out).
    const newer = publicIps.value.length + loadBalancers.value.length + routeTables.value.length + endpoints.value.length + gateways.value.length + Object.values(services).flat().length;
    expect(inventory.resources.slice(0, -newer)).toEqual(expectedResources.slice(0, -newer));
    const nsg1 = inventory.resources[0];
    expect(restField(nsg1, 'defaultSecurityRules')).toHaveLength(6);
    // Subnets come inside their VNet.
    const vnet = inventory.resources[2];
    expect(restField(vnet, 'subnets').length).toBeGreaterThan(0);
    expect(inventory.resources.slice(-newer + publicIps.value.length + loadBalancers.value.length + routeTables.value.length + endpoints.value.length)).toEqual([...gateways.value, ...Object.values(services).flat()]);
    // Each Microsoft.Network list is the SDK's own request (its path and api-version); the others
    // are each provider's list at the GA api-version of its specification.
    for (const request of transport.requests) {
      const provider = /\/providers\/([^/]+\/[^/]+)$/.exec(request.path)?.[1] ?? '';
      expect(new URL(request.url).searchParams.get('api-version'), request.path).toBe(provider.startsWith('Microsoft.Network/') ? NETWORK_API_VERSION : apiVersionOf(provider));
    }
    expect(transport.requests.map((r) => new URL(r.url).searchParams.get('api-version')).filter((v) => v !== NETWORK_API_VERSION).sort()).toEqual(['2022-12-01', '2024-05-01', '2025-10-01']);
    // Every request carried the test token; the credential was asked for ARM's scope.
    expect(new Set(transport.requests.map((r) => r.authorization))).toEqual(new Set(['Bearer test-token']));
    expect(credential.scopesAsked.flat()).toContain(`${ARM}/.default`);
  });

  it('follows nextLink across pages of the 43 recorded NSGs of a real subscription', async () => {
    const { reader, transport } = harness();
    const recorded = cassetteResources('NetworkSecurityGroupTest.test_cidr_and_ingress_no_match.json', 'Microsoft.Network/networkSecurityGroups');
    expect(recorded).toHaveLength(43);
    const subscriptionId = String(field(recorded[0], 'id')).split('/')[2] ?? '';
    serveEstate(transport, createArmEstate(recorded), { pageSize: 5 });

    const inventory = await reader.readInventory(subscriptionId);

    expect(inventory.failures).toEqual([]);
    const nsgs = inventory.resources.filter((r) => field(r, 'type') === 'Microsoft.Network/networkSecurityGroups');
    expect(nsgs.map((r) => field(r, 'id'))).toEqual(recorded.map((r) => field(r, 'id')));
    const nsgRequests = transport.requests.filter((r) => r.path.endsWith('/networkSecurityGroups'));
    expect(nsgRequests).toHaveLength(9);
    expect(nsgRequests.slice(1).map((r) => new URL(r.url).searchParams.get('$skiptoken'))).toEqual(['5', '10', '15', '20', '25', '30', '35', '40']);
    // Every recorded custom rule arrives.
    const rulesServed = recorded.reduce((n, r) => n + restField(r, 'securityRules').length, 0);
    const rulesRead = nsgs.reduce((n: number, r) => n + restField(r, 'securityRules').length, 0);
    expect(rulesRead).toBe(rulesServed);
    expect(rulesRead).toBe(133);
    // Nine NSG pages, one page each of the thirteen other lists, and the instance NIC list of each
    // of the 17 scale sets (AKS node pools) the NSGs' back-references name.
    expect(inventory.reads).toBe(9 + 13 + 17);
    expect(transport.requests.filter((r) => /\/virtualMachineScaleSets\/[^/]+\/networkInterfaces$/i.test(r.path))).toHaveLength(17);
  });

  it('lists the instance NICs of every scale set the inventory names, through the scale-set NIC API', async () => {
    const { reader, transport } = harness();
    const vmssNics = newerExample('VmssVmNetworkInterfaceList') as { value: { id: string }[] };
    const nicId = vmssNics.value[0]?.id ?? '';
    const subnetId = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/subnet1';
    const vnet = {
      id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1',
      name: 'vnet1',
      type: 'Microsoft.Network/virtualNetworks',
      properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] }, subnets: [{ id: subnetId, name: 'subnet1', properties: { addressPrefix: '10.0.0.0/24', ipConfigurations: [{ id: `${nicId}/ipConfigurations/ip1` }] } }] },
    };
    for (const type of ['networkSecurityGroups', 'networkInterfaces', 'natGateways', 'bastionHosts', 'applicationSecurityGroups', 'publicIPAddresses', 'loadBalancers', 'routeTables', 'privateEndpoints', 'applicationGateways']) {
      transport.on('GET', `/subscriptions/subid/providers/Microsoft.Network/${type}`, () => ({ status: 200, body: { value: [] } }));
    }
    for (const type of ['Microsoft.ApiManagement/service', 'Microsoft.ContainerService/managedClusters', 'Microsoft.AAD/domainServices']) {
      transport.on('GET', `/subscriptions/subid/providers/${type}`, () => ({ status: 200, body: { value: [] } }));
    }
    transport.on('GET', '/subscriptions/subid/providers/Microsoft.Network/virtualNetworks', () => ({ status: 200, body: { value: [vnet] } }));
    transport.on('GET', '/subscriptions/subid/resourceGroups/rg1/providers/microsoft.Compute/virtualMachineScaleSets/vmss1/networkInterfaces', () => ({ status: 200, body: { value: vmssNics.value } }));

    const inventory = await reader.readInventory('subid');

    expect(inventory.failures).toEqual([]);
    expect(transport.unrouted).toEqual([]);
    expect(inventory.resources.map((r) => field(r, 'id'))).toContain(nicId);
    const scaleSetRequest = transport.requests.find((r) => r.path.toLowerCase().endsWith('/virtualmachinescalesets/vmss1/networkinterfaces'));
    expect(new URL(scaleSetRequest?.url ?? 'http://x').searchParams.get('api-version')).toBe('2018-10-01');
    // The SDK's own operation for it takes the same path and api-version.
    const sdkPath = await (async () => {
      transport.requests.length = 0;
      for await (const _ of reader.client('subid').networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces('rg1', 'vmss1')) break;
      return transport.requests[0];
    })();
    expect(sdkPath?.path.toLowerCase()).toBe(scaleSetRequest?.path.toLowerCase());
    expect(new URL(sdkPath?.url ?? 'http://x').searchParams.get('api-version')).toBe('2018-10-01');
  });

  it('reports a list that fails part-way, keeping what it read', async () => {
    const { reader, transport } = harness({ retry: { maxAttempts: 2 } });
    const estate = syntheticEstate({ nsgs: 30, vnets: 2, nics: 10 });
    serveEstate(transport, createArmEstate(estate.resources), { pageSize: 10 });
    const isThirdNsgPage = (r: { url: URL }): boolean =>
      r.url.pathname.endsWith('/networkSecurityGroups') && r.url.searchParams.get('$skiptoken') === '20';
    transport.failNext([{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }], isThirdNsgPage);

    const inventory = await reader.readInventory(estate.subscriptionId);

    expect(inventory.failures).toHaveLength(1);
    expect(inventory.failures[0]).toMatchObject({
      resourceType: 'Microsoft.Network/networkSecurityGroups',
      cause: 'server-error',
      httpStatus: 500,
      attempts: 2,
      target: `/subscriptions/${estate.subscriptionId}/providers/Microsoft.Network/networkSecurityGroups`,
    });
    expect(inventory.failures[0]?.message).toContain('after 2 page(s), 20 resource(s)');
    const nsgs = inventory.resources.filter((r) => field(r, 'type') === 'Microsoft.Network/networkSecurityGroups');
    expect(nsgs).toHaveLength(20);
    expect(inventory.resources.filter((r) => field(r, 'type') === 'Microsoft.Network/networkInterfaces')).toHaveLength(10);
  });
});

describe('readResource', () => {
  const examples: [string, string, string][] = [
    ['NetworkSecurityGroupGet', 'networkSecurityGroups', 'Microsoft.Network/networkSecurityGroups'],
    ['VirtualNetworkGet', 'virtualNetworks', 'Microsoft.Network/virtualNetworks'],
    ['NetworkInterfaceGet', 'networkInterfaces', 'Microsoft.Network/networkInterfaces'],
    ['NatGatewayGet', 'natGateways', 'Microsoft.Network/natGateways'],
    ['BastionHostGet', 'bastionHosts', 'Microsoft.Network/bastionHosts'],
    ['ApplicationSecurityGroupGet', 'applicationSecurityGroups', 'Microsoft.Network/applicationSecurityGroups'],
    ['SubnetGet', 'subnets', 'Microsoft.Network/virtualNetworks/subnets'],
  ];

  it.each(examples)('%s: found, with its type', async (example, _segment, type) => {
    const { reader, transport } = harness();
    const body = restExampleBody(example);
    serveExample(transport, body);
    const id = (body as { id: string }).id;

    const read = await reader.readResource(id);

    expect(read.status).toBe('found');
    if (read.status !== 'found') return;
    expect(field(read.resource, 'id')).toBe(id);
    expect(field(read.resource, 'type')).toBe(type);
    expect(transport.requests).toHaveLength(1);
    expect(transport.requests[0]?.path.toLowerCase()).toBe(id.toLowerCase());
  });

  it('reads a rule id through its NSG, and matches id segments case-insensitively', async () => {
    const { reader, transport } = harness();
    const body = restExampleBody('NetworkSecurityGroupGet') as { id: string };
    serveExample(transport, body);
    const ruleId = `${body.id}/securityRules/rule1`.replace('/resourceGroups/', '/RESOURCEGROUPS/').replace('networkSecurityGroups', 'NETWORKSECURITYGROUPS');

    const read = await reader.readResource(ruleId);

    expect(read).toMatchObject({ status: 'found' });
    expect(field(read.status === 'found' ? read.resource : {}, 'id')).toBe(body.id);
  });

  it('404 means deleted, asked once', async () => {
    const { reader, transport } = harness();
    serveEstate(transport, createArmEstate([]));
    const id = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/gone';

    expect(await reader.readResource(id)).toEqual({ status: 'deleted', id });
    expect(transport.requests).toHaveLength(1);
  });

  it('a malformed or foreign id fails without a request', async () => {
    const { reader, transport } = harness();
    const cases = [
      'not-an-id',
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1',
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/ddosProtectionPlans/d1',
    ];
    for (const id of cases) {
      const read = await reader.readResource(id);
      expect(read).toMatchObject({ status: 'failed', failure: { cause: 'bad-id', target: id } });
    }
    expect(transport.requests).toHaveLength(0);
  });
});

describe('faults', () => {
  const nsgBody = (): { id: string } => restExampleBody('NetworkSecurityGroupGet') as { id: string };

  it('429 with Retry-After in seconds: waits exactly that long on the clock, then reads', async () => {
    const { reader, transport, clock } = harness();
    const body = nsgBody();
    serveExample(transport, body);
    transport.failNext({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });

    const read = await reader.readResource(body.id);

    expect(read.status).toBe('found');
    expect(transport.requests).toHaveLength(2);
    expect(clock.sleeps).toContain(7000);
    const [first, second] = transport.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(7000);
  });

  it('429 with Retry-After as an HTTP date: waits until then, measured on the injected clock', async () => {
    const { reader, transport, clock } = harness();
    const body = nsgBody();
    serveExample(transport, body);
    const until = new Date(Math.ceil(clock.now() / 1000) * 1000 + 12_000);
    transport.failNext({ kind: 'status', status: 429, headers: { 'retry-after': until.toUTCString() } });

    expect((await reader.readResource(body.id)).status).toBe('found');
    expect(clock.sleeps).toContain(until.getTime() - transport.requests[0]!.at);
    expect(transport.requests[1]!.at).toBeGreaterThanOrEqual(until.getTime());
  });

  it('429 with retry-after-ms, and a 429 pauses every read of the subscription', async () => {
    const { reader, transport, clock } = harness();
    const body = nsgBody();
    serveExample(transport, body);
    const other = restExampleBody('ApplicationSecurityGroupGet') as { id: string };
    serveExample(transport, other);
    transport.failNext({ kind: 'status', status: 429, headers: { 'retry-after-ms': '2500' } });

    const nsgRead = reader.readResource(body.id);
    while (transport.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    // Started after the 429 came back: this read of another resource waits for the pause too.
    const asgRead = reader.readResource(other.id);

    expect([(await nsgRead).status, (await asgRead).status]).toEqual(['found', 'found']);
    const throttledAt = transport.requests[0]!.at;
    const asgRequest = transport.requests.find((r) => r.path.includes('applicationSecurityGroups'));
    expect(asgRequest!.at - throttledAt).toBeGreaterThanOrEqual(2500);
    expect(clock.sleeps).toContain(2500);
  });

  it('a Retry-After beyond the limit is not waited for: failed as throttled', async () => {
    const { reader, transport, clock } = harness({ retry: { maxRetryAfterMs: 60_000 } });
    const body = nsgBody();
    serveExample(transport, body);
    transport.failNext({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } });

    const read = await reader.readResource(body.id);

    expect(read).toMatchObject({ status: 'failed', failure: { cause: 'throttled', httpStatus: 429, attempts: 1 } });
    expect(transport.requests).toHaveLength(1);
    expect(clock.sleeps.filter((ms) => ms >= 3_600_000)).toEqual([]);
  });

  it('500 then success: retried once after a jittered backoff', async () => {
    const { reader, transport, clock } = harness({ retry: { baseDelayMs: 1000 } });
    const body = nsgBody();
    serveExample(transport, body);
    transport.failNext({ kind: 'status', status: 500 });

    expect((await reader.readResource(body.id)).status).toBe('found');
    expect(transport.requests.map((r) => r.status)).toEqual([500, 200]);
    // random() = 0.5 → half the step plus a quarter: 750 ms.
    expect(clock.sleeps).toContain(750);
  });

  it('persistent 500: failed after the bounded attempts with growing backoff, never deleted', async () => {
    const { reader, transport, clock } = harness({ retry: { maxAttempts: 4, baseDelayMs: 1000 } });
    const body = nsgBody();
    serveExample(transport, body);
    transport.failNext(Array.from({ length: 10 }, () => ({ kind: 'status', status: 500 }) as const));

    const read = await reader.readResource(body.id);

    expect(read).toMatchObject({ status: 'failed', failure: { cause: 'server-error', httpStatus: 500, attempts: 4 } });
    expect(read.status === 'failed' && read.reason).toContain('after 4 attempts');
    expect(transport.requests).toHaveLength(4);
    expect(clock.sleeps).toEqual([750, 1500, 3000]);
  });

  it('a hung request times out, is retried, and then fails as a timeout', async () => {
    const { reader, transport } = harness({ retry: { maxAttempts: 3, attemptTimeoutMs: 20 } });
    const body = nsgBody();
    serveExample(transport, body);
    transport.failNext([{ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' }]);

    const read = await reader.readResource(body.id);

    expect(read).toMatchObject({ status: 'failed', failure: { cause: 'timeout', attempts: 3 } });
    expect(transport.requests).toHaveLength(3);
  });

  it('a hung request then an answer: read', async () => {
    const { reader, transport } = harness({ retry: { attemptTimeoutMs: 20 } });
    const body = nsgBody();
    serveExample(transport, body);
    transport.failNext({ kind: 'hang' });

    expect((await reader.readResource(body.id)).status).toBe('found');
    expect(transport.requests).toHaveLength(2);
  });

  it.each([
    ['network reset then success', [{ kind: 'network', code: 'ECONNRESET' }] as const, 'found', 2],
    ['503 without Retry-After then success', [{ kind: 'status', status: 503 }] as const, 'found', 2],
    ['403 is not retried and is not a deletion', [{ kind: 'status', status: 403, body: { error: { code: 'AuthorizationFailed', message: 'no' } } }] as const, 'failed', 1],
    ['400 is not retried', [{ kind: 'status', status: 400 }] as const, 'failed', 1],
  ])('%s', async (_name, faults, status, requests) => {
    const { reader, transport } = harness();
    const body = nsgBody();
    serveExample(transport, body);
    transport.failNext([...faults]);

    const read = await reader.readResource(body.id);

    expect(read.status).toBe(status);
    expect(transport.requests).toHaveLength(requests);
  });

  it('ARM\'s remaining-reads header lowers the local budget', async () => {
    const budgets = createReadBudgets(DEFAULT_READ_BUDGET, createVirtualClock());
    const { reader, transport } = harness({ budgets });
    const body = nsgBody();
    transport.on('GET', body.id, () => ({ status: 200, body, headers: { 'x-ms-ratelimit-remaining-subscription-reads': '3' } }));

    await reader.readResource(body.id);

    expect(budgets.forKey('subid', 'test-identity').available()).toBeLessThanOrEqual(3);
    expect(budgets.forKey('other-subscription', 'test-identity').available()).toBe(250);
  });

  it('the SDK\'s own retry policy is replaced by the read policy', () => {
    const { reader } = harness();
    const names = reader.client('subid').pipeline.getOrderedPolicies().map((p) => p.name);
    expect(names).toContain(ARM_READ_POLICY_NAME);
    expect(names).not.toContain('defaultRetryPolicy');
    // A second subscription shares the same pipeline (one token cache, one policy).
    expect(reader.client('another').pipeline).toBe(reader.client('subid').pipeline);
  });
});

describe('readScopeResources', () => {
  const small = syntheticEstate({ nsgs: 8, vnets: 2, nics: 24, subnetsPerVnet: 4 });
  const byName = (name: string): Record<string, unknown> => {
    const found = small.resources.find((r) => r['name'] === name);
    if (!found) throw new Error(name);
    return found;
  };
  const names = (resources: unknown[]): string[] => resources.map((r) => String(field(r, 'name'))).sort();

  it('an NSG on a subnet: the NSG, its VNet, the NICs in the subnet and their NSGs', async () => {
    const { reader, transport } = harness();
    serveEstate(transport, createArmEstate(small.resources));
    // nsg-1 guards vnet-0/snet-2 (see arm-estate: subnet NSGs are spread over the subnets).
    const nsg = byName('nsg-1');
    const subnetId = String(((field(nsg, 'properties') as { subnets: { id: string }[] }).subnets[0] ?? { id: '' }).id);
    const vnet = small.resources.find((r) => subnetId.startsWith(`${String(r['id'])}/`)) as Record<string, unknown>;
    const subnet = ((field(vnet, 'properties') as { subnets: Record<string, unknown>[] }).subnets).find((s) => s['id'] === subnetId);
    const nicIds = ((field(subnet, 'properties') as { ipConfigurations?: { id: string }[] }).ipConfigurations ?? []).map((c) =>
      c.id.split('/ipConfigurations/')[0],
    );
    expect(nicIds.length).toBeGreaterThan(0);
    const nicNsgs = new Set(
      small.resources
        .filter((r) => nicIds.includes(String(r['id'])))
        .flatMap((r) => {
          const ref = (field(r, 'properties') as { networkSecurityGroup?: { id: string } }).networkSecurityGroup;
          return ref ? [ref.id] : [];
        }),
    );

    const scope = await reader.readScopeResources([String(nsg['id'])]);

    expect(scope.failures).toEqual([]);
    expect(scope.deleted).toEqual([]);
    const readIds = new Set(scope.resources.map((r) => String(field(r, 'id'))));
    for (const id of [nsg['id'], vnet['id'], ...nicIds, ...nicNsgs]) expect(readIds).toContain(id);
    expect(scope.reads).toBe(scope.resources.length);
    expect(new Set(transport.requests.map((r) => r.path.toLowerCase())).size).toBe(transport.requests.length);
  });

  it('maxDepth 0 reads only what was asked', async () => {
    const { reader, transport } = harness();
    serveEstate(transport, createArmEstate(small.resources));
    const scope = await reader.readScopeResources([String(byName('nsg-1')['id']), String(byName('nic-0')['id'])], { maxDepth: 0 });
    expect(names(scope.resources)).toEqual(['nic-0', 'nsg-1']);
  });

  it('a NIC: its NSG, its subnet\'s VNet and NSG, its ASGs', async () => {
    const { reader, transport } = harness();
    serveEstate(transport, createArmEstate(small.resources));
    const nic = byName('nic-0');
    const props = field(nic, 'properties') as { networkSecurityGroup?: { id: string }; ipConfigurations: { properties: { subnet: { id: string }; applicationSecurityGroups?: { id: string }[] } }[] };
    const scope = await reader.readScopeResources([String(nic['id'])], { maxDepth: 2 });
    const readIds = new Set(scope.resources.map((r) => String(field(r, 'id'))));
    const config = props.ipConfigurations[0]!.properties;
    const vnetId = config.subnet.id.split('/subnets/')[0];
    expect(readIds).toContain(vnetId);
    if (props.networkSecurityGroup) expect(readIds).toContain(props.networkSecurityGroup.id);
    for (const asg of config.applicationSecurityGroups ?? []) expect(readIds).toContain(asg.id);
  });

  it('deleted roots and children: a missing NSG, a subnet gone from its VNet, a rule gone from its NSG', async () => {
    const { reader, transport } = harness();
    serveEstate(transport, createArmEstate(small.resources));
    const vnetId = String(byName('vnet-1')['id']);
    const nsgId = String(byName('nsg-2')['id']);
    const missingNsg = nsgId.replace('nsg-2', 'nsg-404');
    const missingSubnet = `${vnetId}/subnets/snet-404`;
    const missingRule = `${nsgId}/securityRules/rule-404`;

    const scope = await reader.readScopeResources([missingNsg, missingSubnet, missingRule], { maxDepth: 0 });

    expect(scope.deleted.sort()).toEqual([missingNsg, missingSubnet, missingRule].sort());
    expect(names(scope.resources)).toEqual(['nsg-2', 'vnet-1']);
    expect(scope.failures).toEqual([]);
  });

  it('a scope larger than maxResources reports what it did not read', async () => {
    const { reader, transport } = harness();
    serveEstate(transport, createArmEstate(small.resources));
    const vnetId = String(byName('vnet-0')['id']);

    const scope = await reader.readScopeResources([vnetId], { maxResources: 5 });

    expect(scope.resources).toHaveLength(5);
    expect(scope.failures.length).toBeGreaterThan(0);
    expect(scope.failures.every((f) => f.cause === 'scope-limit' && f.attempts === 0)).toBe(true);
    expect(transport.requests).toHaveLength(5);
  });

  it('a failed reference is reported, never taken as deleted', async () => {
    const { reader, transport } = harness({ retry: { maxAttempts: 2 } });
    serveEstate(transport, createArmEstate(small.resources));
    const nsg = byName('nsg-1');
    transport.failNext([{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }], (r) => r.url.pathname.includes('/virtualNetworks/'));

    const scope = await reader.readScopeResources([String(nsg['id'])], { maxDepth: 1 });

    expect(scope.deleted).toEqual([]);
    expect(scope.failures).toHaveLength(1);
    expect(scope.failures[0]).toMatchObject({ resourceType: 'Microsoft.Network/virtualNetworks', cause: 'server-error' });
  });
});
