/**
 * The service owning or using a subnet: the corpus REST examples (delegations, service
 * association links, resource navigation links, application gateways) identify their services in
 * place; AKS node pools and NSGs are known by their node resource group.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEstate, type EstateDocument } from '../../lib/estate/load.js';
import { estateServices, intentPolicyAuthor, serviceOwningNsg, servicesOfSubnet } from '../../lib/estate/services.js';
import { CORPUS, cassetteDocuments, readJson } from './corpus.js';

const NETWORK = resolve(CORPUS, 'rest-api-examples/2024-07-01');

function bodies(file: string): EstateDocument[] {
  const example = readJson(resolve(NETWORK, file)) as { responses: Record<string, { body?: unknown }> };
  return Object.entries(example.responses).flatMap(([status, r]) => (r.body === undefined ? [] : [{ source: `${file}#${status}`, json: r.body }]));
}

const uses = (file: string) => {
  const estate = loadEstate(bodies(file));
  expect(estate.errors).toEqual([]);
  expect(estate.sources.map((s) => s.ignoredTypes)).toEqual([{}]);
  return [...estateServices(estate).bySubnet].map(([subnet, list]) => [subnet.split('/').slice(-3).join('/'), list.map((u) => [u.kind, u.name, u.recognisedBy])]);
};

describe('the corpus examples identify their services', () => {
  it.each([
    ['SubnetGetWithDelegation.json', 'vnetname/subnets/subnet1', [['other', 'Microsoft.Provider/resourceType', 'delegated to Microsoft.Provider/resourceType']]],
    ['VirtualNetworkGetWithSubnetDelegation.json', 'test-vnet/subnets/subnet1', [['other', 'Microsoft.Provider/resourceType', 'delegated to Microsoft.Provider/resourceType']]],
    [
      'VirtualNetworkGetWithServiceAssociationLink.json',
      'test-vnet/subnets/subnet1',
      [
        ['other', 'Microsoft.Provider/resourceType', 'delegated to Microsoft.Provider/resourceType'],
        ['other', 'Microsoft.Provider/resourceType', 'service association link serviceAssociationLink1 to Microsoft.Provider/resourceType'],
      ],
    ],
    ['VirtualNetworkGetServiceAssociationLinks.json', 'vnet/subnets/subnet', [['other', 'Microsoft.ContainerInstance/containerGroups', 'service association link acisal to Microsoft.ContainerInstance/containerGroups']]],
    ['VirtualNetworkGetResourceNavigationLinks.json', 'vnet/subnets/subnet', [['other', 'Microsoft.Cache/redis', 'resource navigation link redisCache_redis-tester to Microsoft.Cache/redis']]],
    ['ApplicationGatewayGet.json', 'virtualNetwork1/subnets/appgwsubnet', [['applicationGateway', 'Azure Application Gateway', 'application gateway appgw (Standard_Medium)']]],
    ['ApplicationGatewayList.json', 'virtualNetwork1/subnets/appgwsubnet', [['applicationGateway', 'Azure Application Gateway', 'application gateway appgw (Standard_Medium)']]],
  ])('%s: %s', (file, subnet, expected) => {
    expect(uses(file)).toEqual([[subnet.toLowerCase(), expected]]);
  });

  it('an application gateway carries its SKU generation and the document of its requirements', () => {
    const estate = loadEstate(bodies('ApplicationGatewayGet.json'));
    const [use] = servicesOfSubnet(estate, '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/virtualNetwork1/subnets/appgwsubnet');
    expect(use?.generation).toBe('v1');
    expect(use?.document).toBe('https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure#network-security-groups');
  });
});

describe('delegations, deployed resources and required names', () => {
  const RG = '/subscriptions/s/resourceGroups/rg/providers';
  const network = (subnets: Record<string, unknown>[]) => ({
    id: `${RG}/Microsoft.Network/virtualNetworks/v`,
    name: 'v',
    type: 'Microsoft.Network/virtualNetworks',
    properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] }, subnets },
  });
  const subnetId = (name: string) => `${RG}/Microsoft.Network/virtualNetworks/v/subnets/${name}`;

  it('knows SQL MI, Databricks, API Management and Entra Domain Services by their delegations, and the reserved names', () => {
    const delegated = (name: string, prefix: string, service: string) => ({ name, properties: { addressPrefix: prefix, delegations: [{ name: 'd', properties: { serviceName: service } }] } });
    const estate = loadEstate([
      {
        source: 'vnet',
        json: network([
          delegated('sqlmi', '10.0.1.0/24', 'Microsoft.Sql/managedInstances'),
          delegated('dbw-host', '10.0.2.0/24', 'Microsoft.Databricks/workspaces'),
          delegated('apim', '10.0.3.0/24', 'Microsoft.ApiManagement/service'),
          delegated('aadds', '10.0.4.0/24', 'Microsoft.AAD/DomainServices'),
          { name: 'GatewaySubnet', properties: { addressPrefix: '10.0.5.0/27' } },
          { name: 'AzureBastionSubnet', properties: { addressPrefix: '10.0.6.0/26' } },
          { name: 'workload', properties: { addressPrefix: '10.0.7.0/24' } },
        ]),
      },
    ]);
    expect(estate.errors).toEqual([]);
    const kinds = (name: string) => servicesOfSubnet(estate, subnetId(name)).map((u) => u.kind);
    expect(['sqlmi', 'dbw-host', 'apim', 'aadds', 'GatewaySubnet', 'AzureBastionSubnet', 'workload'].map(kinds)).toEqual([
      ['sqlManagedInstance'],
      ['databricks'],
      ['apiManagement'],
      ['domainServices'],
      ['virtualNetworkGateway'],
      ['bastion'],
      [],
    ]);
  });

  it('a delegation with no serviceName is an error naming the network and the field', () => {
    const estate = loadEstate([{ source: 'bad', json: network([{ name: 'x', properties: { addressPrefix: '10.0.1.0/24', delegations: [{ name: 'd', properties: {} }] } }]) }]);
    expect(estate.errors.map((e) => [e.resourceId, e.field])).toEqual([[subnetId('x'), 'delegations[0].serviceName']]);
  });

  it('knows API Management (internal) and Entra Domain Services by the resources that name their subnets', () => {
    const estate = loadEstate([
      {
        source: 'services',
        json: [
          { id: `${RG}/Microsoft.ApiManagement/service/apim1`, name: 'apim1', type: 'Microsoft.ApiManagement/service', properties: { virtualNetworkType: 'Internal', virtualNetworkConfiguration: { subnetResourceId: subnetId('apim') } } },
          { id: `${RG}/Microsoft.AAD/domainServices/contoso.com`, name: 'contoso.com', type: 'Microsoft.AAD/domainServices', properties: { replicaSets: [{ subnetId: subnetId('aadds') }] } },
        ],
      },
    ]);
    expect(estate.errors).toEqual([]);
    expect(servicesOfSubnet(estate, subnetId('apim')).map((u) => [u.kind, u.virtualNetworkType, u.recognisedBy])).toEqual([['apiManagement', 'Internal', 'API Management apim1 (virtual network Internal)']]);
    expect(servicesOfSubnet(estate, subnetId('aadds')).map((u) => u.recognisedBy)).toEqual(['Entra Domain Services contoso.com']);
  });

  it('names the rules a network intent policy writes', () => {
    expect(intentPolicyAuthor('Microsoft.Sql-managedInstances_UseOnly_mi-healthprobe-in')?.kind).toBe('sqlManagedInstance');
    expect(intentPolicyAuthor('Microsoft.Databricks-workspaces_UseOnly_databricks-worker-to-worker-inbound')?.kind).toBe('databricks');
    expect(intentPolicyAuthor('AllowHttpsInbound')).toBeUndefined();
  });
});

describe('AKS', () => {
  it('the real node-pool NSG of a Cloud Custodian cassette is owned by AKS (its MC_ resource group)', () => {
    const estate = loadEstate(cassetteDocuments('NetworkSecurityGroupTest.test_cidr_and_ingress_no_match.json'));
    const aks = [...estate.networkSecurityGroups.values()].filter((n) => serviceOwningNsg(estate, n.id) !== undefined).map((n) => n.name);
    expect(aks).toEqual(['aks-agentpool-58626146-nsg']);
    const other = [...estate.networkSecurityGroups.values()].find((n) => n.name === 'JMEUNIER-TEST-NSG');
    expect(other && serviceOwningNsg(estate, other.id)).toBeUndefined();
  });

  it('a cluster names its node resource group and node subnets; its scale sets there are node pools', () => {
    const RG = '/subscriptions/s/resourceGroups';
    const nodes = `${RG}/rg-net/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes`;
    const estate = loadEstate([
      {
        source: 'aks',
        json: [
          { id: `${RG}/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks1`, name: 'aks1', type: 'Microsoft.ContainerService/managedClusters', properties: { nodeResourceGroup: 'aks1-nodes', agentPoolProfiles: [{ name: 'system', vnetSubnetID: nodes }] } },
          { id: `${RG}/aks1-nodes/providers/Microsoft.Network/networkSecurityGroups/aks-agentpool-1-nsg`, name: 'aks-agentpool-1-nsg', type: 'Microsoft.Network/networkSecurityGroups', properties: {} },
        ],
      },
    ]);
    expect(estate.errors).toEqual([]);
    expect(servicesOfSubnet(estate, nodes).map((u) => u.recognisedBy)).toEqual(['node pool subnet of AKS cluster aks1']);
    expect(serviceOwningNsg(estate, `${RG}/aks1-nodes/providers/Microsoft.Network/networkSecurityGroups/aks-agentpool-1-nsg`)?.recognisedBy).toBe('NSG aks-agentpool-1-nsg in the node resource group aks1-nodes of AKS cluster aks1');
  });
});
