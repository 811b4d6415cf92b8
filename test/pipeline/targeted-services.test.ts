/**
 * The services that own or use a subnet, read live: an Application Gateway v2 (the 2024-07-01
 * ApplicationGatewayGet example, its SKU made Standard_v2) whose subnet NSG denies GatewayManager
 * on 65200-65535, API Management, an AKS cluster and Entra Domain Services in their REST
 * specifications' shapes, served to the real SDK client. A sweep raises SVC-001 as the offline
 * scan of the same resources does, verdict for verdict; an event on any of the services re-judges
 * the subnets it names, exactly as the sweep judges them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createArmReader } from '../../lib/azure/arm.js';
import { armSource } from '../../lib/azure/arm-source.js';
import { createReadBudgets } from '../../lib/azure/budget.js';
import { scopesForChange, type Scope } from '../../lib/azure/scopes.js';
import { normalizeId } from '../../lib/arm/index.js';
import { loadEstate } from '../../lib/estate/load.js';
import type { Estate } from '../../lib/estate/model.js';
import { servicesOfSubnet } from '../../lib/estate/services.js';
import { affectedResources } from '../../lib/pipeline/affected.js';
import { readScopeEstate } from '../../lib/pipeline/targeted.js';
import { evaluateEstate } from '../../lib/rules/index.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential } from '../support/arm-transport.js';
import { apiManagementService, domainService, managedCluster } from '../support/service-shapes.js';

type Json = Record<string, unknown>;

function example(name: string): Json {
  const path = fileURLToPath(new URL(`../../../shared/corpus/rest-api-examples/2024-07-01/${name}.json`, import.meta.url));
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { responses: Record<string, { body?: unknown }> };
  return structuredClone(parsed.responses['200']?.body) as Json;
}

const SUB = 'subid';
const RG = `/subscriptions/${SUB}/resourceGroups/rg1/providers`;
const NET = `${RG}/Microsoft.Network`;
// The network the ApplicationGatewayGet example's gateway IP configuration names.
const VNET = `${NET}/virtualNetworks/virtualNetwork1`;
const AGW_SUBNET = `${VNET}/subnets/appgwsubnet`;
const APIM_SUBNET = `${VNET}/subnets/apim`;
const AKS_SUBNET = `${VNET}/subnets/aks`;
const AADDS_SUBNET = `${VNET}/subnets/aadds`;
const GATEWAY = `${NET}/applicationGateways/appgw`;
const APIM = `${RG}/Microsoft.ApiManagement/service/apim1`;
const AKS = `${RG}/Microsoft.ContainerService/managedClusters/aks1`;
const AADDS = `${RG}/Microsoft.AAD/domainServices/TestDomainService.com`;
// The node-pool NSG AKS writes in the cluster's node resource group.
const NODE_NSG = `/subscriptions/${SUB}/resourceGroups/MC_rg1_aks1_westus/providers/Microsoft.Network/networkSecurityGroups/aks-agentpool-12345678-nsg`;

function rule(name: string, priority: number, extra: Json): Json {
  return {
    name,
    properties: { priority, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '*', ...extra },
  };
}

function nsg(name: string, subnet: string, rules: Json[]): Json {
  return { id: `${NET}/networkSecurityGroups/${name}`, name, type: 'Microsoft.Network/networkSecurityGroups', location: 'westus', properties: { securityRules: rules, subnets: [{ id: subnet }] } };
}

function estateResources(): Json[] {
  const gateway = example('ApplicationGatewayGet');
  // The example's gateway is v1 (Standard_Medium); the same gateway on the v2 SKU.
  (gateway['properties'] as Json)['sku'] = { name: 'Standard_v2', tier: 'Standard_v2', capacity: 2 };
  const subnet = (name: string, prefix: string, extra: Json = {}): Json => ({
    id: `${VNET}/subnets/${name}`,
    name,
    properties: { addressPrefix: prefix, networkSecurityGroup: { id: `${NET}/networkSecurityGroups/nsg-${name}` }, ...extra },
  });
  const vnet: Json = {
    id: VNET,
    name: 'virtualNetwork1',
    type: 'Microsoft.Network/virtualNetworks',
    location: 'southcentralus',
    properties: {
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
      subnets: [subnet('appgwsubnet', '10.0.0.0/24'), subnet('apim', '10.0.3.0/24'), subnet('aks', '10.0.5.0/24'), subnet('aadds', '10.0.4.0/24')],
    },
  };
  const publicIp: Json = {
    id: `${NET}/publicIPAddresses/appgwpip`,
    name: 'appgwpip',
    type: 'Microsoft.Network/publicIPAddresses',
    location: 'southcentralus',
    sku: { name: 'Standard', tier: 'Regional' },
    properties: { ipAddress: '20.51.7.10', publicIPAllocationMethod: 'Static', publicIPAddressVersion: 'IPv4', ipConfiguration: { id: `${GATEWAY}/frontendIPConfigurations/appgwfip` } },
  };
  return [
    vnet,
    // A "hardened" gateway subnet NSG: clients on the listeners' ports, and GatewayManager denied.
    nsg('nsg-appgwsubnet', AGW_SUBNET, [
      rule('DenyGatewayManager', 100, { access: 'Deny', sourceAddressPrefix: 'GatewayManager', destinationPortRange: '65200-65535' }),
      rule('AllowClients', 110, { sourceAddressPrefix: 'Internet', destinationPortRanges: ['80', '443'] }),
    ]),
    nsg('nsg-apim', APIM_SUBNET, [rule('DenyManagement', 100, { access: 'Deny', sourceAddressPrefix: 'ApiManagement', destinationPortRange: '3443' })]),
    nsg('nsg-aks', AKS_SUBNET, [rule('AllowHttps', 100, { sourceAddressPrefix: 'Internet', destinationPortRange: '443' })]),
    nsg('nsg-aadds', AADDS_SUBNET, [rule('DenyPowerShellRemoting', 100, { access: 'Deny', sourceAddressPrefix: 'AzureActiveDirectoryDomainServices', destinationPortRange: '5986' })]),
    {
      ...nsg('aks-agentpool-12345678-nsg', AKS_SUBNET, [rule('k8s-lb-web', 500, { sourceAddressPrefix: 'Internet', destinationPortRange: '80' })]),
      id: NODE_NSG,
      properties: { securityRules: [rule('k8s-lb-web', 500, { sourceAddressPrefix: 'Internet', destinationPortRange: '80' })] },
    },
    gateway,
    publicIp,
    apiManagementService(APIM, APIM_SUBNET),
    managedCluster(AKS, 'MC_rg1_aks1_westus', [AKS_SUBNET]),
    domainService(AADDS, AADDS_SUBNET),
  ];
}

function served() {
  const transport = createArmTransport();
  serveEstate(transport, createArmEstate(estateResources()));
  const reader = createArmReader({ credential: testCredential(), httpClient: transport, budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }), retry: { maxAttempts: 1 } });
  const source = armSource({ reader, subscriptions: [SUB] });
  if (!source.targeted) throw new Error('the ARM source reads by id');
  return { transport, source, targeted: source.targeted };
}

function judgement(estate: Estate, only?: Set<string>) {
  const output = evaluateEstate(estate, only ? { only } : {});
  return {
    findings: output.findings.map((f) => `${f.ruleId} ${f.resourceId.toLowerCase()} ${f.scope}`).sort(),
    evidence: output.findings.map((f) => JSON.stringify(f.evidence)).sort(),
    errors: output.errors,
  };
}

const LIMITS = { maxResources: 100, maxRounds: 8, firstDepth: 3 };

describe('services read live', () => {
  it('a sweep of the live estate gives the offline scan\'s verdicts: SVC-001 for the Application Gateway v2 subnet that blocks GatewayManager', async () => {
    const { source, transport } = served();
    const inventory = await source.readInventory(SUB, { priority: 'sweep' });
    expect(inventory.failures).toEqual([]);
    expect(transport.unrouted).toEqual([]);
    const live = loadEstate(inventory.documents);
    expect(live.errors).toEqual([]);
    expect([...live.applicationGateways.keys(), ...live.apiManagementServices.keys(), ...live.managedClusters.keys(), ...live.domainServices.keys()]).toEqual([GATEWAY, APIM, AKS, AADDS].map(normalizeId));
    // Recognised live as offline: the gateway's subnet is an Application Gateway v2 subnet.
    expect(servicesOfSubnet(live, AGW_SUBNET).map((u) => [u.kind, u.generation])).toEqual([['applicationGateway', 'v2']]);
    expect(servicesOfSubnet(live, AKS_SUBNET).map((u) => u.kind)).toEqual(['kubernetes']);

    const offline = loadEstate([{ source: 'export.json', json: estateResources() }]);
    const sweep = judgement(live);
    expect(sweep).toEqual(judgement(offline));
    expect(sweep.findings).toContain(`SVC-001 ${normalizeId(`${NET}/networkSecurityGroups/nsg-appgwsubnet`)} inbound TCP 65200-65535 from GatewayManager (v2 management)|DenyGatewayManager`);
    // The gateway's public frontend is the subnet's public entry, on its listeners' ports.
    expect(sweep.evidence.join(' ')).toContain('application gateway appgw 20.51.7.10 TCP');
  });

  it('an event on the application gateway re-judges its subnet, as the sweep judges it', async () => {
    const { source, targeted } = served();
    const full = loadEstate((await source.readInventory(SUB, { priority: 'sweep' })).documents);
    const mapped = scopesForChange({ resourceId: GATEWAY, resourceType: 'Microsoft.Network/applicationGateways', operation: 'write' });
    if (!mapped.ok) throw new Error(mapped.error.message);
    const [scope] = mapped.scopes;
    if (!scope) throw new Error('one scope');
    expect(scope).toEqual({ kind: 'applicationGateway', id: normalizeId(GATEWAY), subscriptionId: SUB });
    const expected = affectedResources(full, scope);
    expect(expected.resources).toContain(normalizeId(AGW_SUBNET));

    const read = await readScopeEstate(targeted, scope, LIMITS);
    if (read.kind !== 'read') throw new Error(read.kind);
    expect([...read.affected.resources].sort()).toEqual([...expected.resources].sort());
    const event = judgement(read.estate, read.affected.resources);
    expect(event).toEqual(judgement(full, expected.resources));
    expect(event.findings.some((f) => f.startsWith('SVC-001 '))).toBe(true);
  });

  const services: { name: string; scope: Scope; subnet: string; also?: string }[] = [
    { name: 'API Management', scope: { kind: 'apiManagement', id: normalizeId(APIM), subscriptionId: SUB }, subnet: APIM_SUBNET },
    // And the NSGs of its node resource group, which it owns: found from the NSG list.
    { name: 'an AKS cluster', scope: { kind: 'managedCluster', id: normalizeId(AKS), subscriptionId: SUB }, subnet: AKS_SUBNET, also: NODE_NSG },
    { name: 'Entra Domain Services', scope: { kind: 'domainService', id: normalizeId(AADDS), subscriptionId: SUB }, subnet: AADDS_SUBNET },
    // A subnet's event: which gateway sits in it only the gateways' list says.
    { name: 'the gateway\'s subnet', scope: { kind: 'subnet', id: normalizeId(AGW_SUBNET), subscriptionId: SUB }, subnet: AGW_SUBNET },
  ];

  it.each(services)('an event on $name re-judges the subnet it names, as the sweep judges it', async ({ scope, subnet, also }) => {
    const { source, targeted, transport } = served();
    const full = loadEstate((await source.readInventory(SUB, { priority: 'sweep' })).documents);
    const expected = affectedResources(full, scope);
    expect(expected.resources).toContain(normalizeId(subnet));
    if (also !== undefined) expect(expected.resources).toContain(normalizeId(also));
    const before = transport.requests.length;
    const read = await readScopeEstate(targeted, scope, LIMITS);
    if (read.kind !== 'read') throw new Error(read.kind);
    expect([...read.affected.resources].sort()).toEqual([...expected.resources].sort());
    const event = judgement(read.estate, read.affected.resources);
    expect(event).toEqual(judgement(full, expected.resources));
    expect(event.findings.length).toBeGreaterThan(0);
    // A service outside Microsoft.Network is read from its own provider, at its api-version.
    const own = transport.requests.slice(before).find((r) => r.path.toLowerCase() === scope.id);
    if (scope.kind !== 'subnet') expect(own?.status).toBe(200);
  });

  it('a list of services refused or failing fails the inventory and the event: nothing is judged without it', async () => {
    const { source, targeted, transport } = served();
    const isApimList = (r: { url: URL }) => r.url.pathname.endsWith('/providers/Microsoft.ApiManagement/service');
    transport.failNext({ kind: 'status', status: 403 }, isApimList);
    const inventory = await source.readInventory(SUB, { priority: 'sweep' });
    expect(inventory.failures.map((f) => f.target)).toEqual([`/subscriptions/${SUB}/providers/Microsoft.ApiManagement/service`]);
    transport.failNext({ kind: 'status', status: 403 }, isApimList);
    const read = await readScopeEstate(targeted, { kind: 'subnet', id: normalizeId(AGW_SUBNET), subscriptionId: SUB }, LIMITS);
    expect(read.kind).toBe('failed');
  });

  it('a service gone (404) is read as deleted: its scope resolves', async () => {
    const { targeted } = served();
    const gone = `${RG}/Microsoft.ApiManagement/service/gone`;
    const read = await targeted.readResources([gone], { depth: 3, maxResources: 100 });
    expect(read.failures).toEqual([]);
    expect(read.deleted).toEqual([gone]);
  });
});
