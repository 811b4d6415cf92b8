/**
 * REST bodies of the services outside Microsoft.Network that own or use a subnet, in the shapes
 * their REST specifications give (the corpus holds no examples of these providers):
 * - API Management in a virtual network: ApiManagementServiceResource, `properties.virtualNetworkType`
 *   and `properties.virtualNetworkConfiguration.subnetResourceId`
 *   (Microsoft.ApiManagement/stable/2024-05-01, example ApiManagementListServiceBySubscription;
 *   https://learn.microsoft.com/rest/api/apimanagement/api-management-service/list);
 * - AKS: ManagedCluster, `properties.nodeResourceGroup` and `properties.agentPoolProfiles[].vnetSubnetID`
 *   (Microsoft.ContainerService/aks/stable/2025-10-01, example ManagedClustersList;
 *   https://learn.microsoft.com/rest/api/aks/managed-clusters/list);
 * - Entra Domain Services: DomainService, `properties.replicaSets[].subnetId`
 *   (Microsoft.AAD/stable/2022-12-01, example ListDomainServicesBySubscription;
 *   https://learn.microsoft.com/rest/api/aad-domainservices/domain-services/list).
 */
type Json = Record<string, unknown>;

export function apiManagementService(id: string, subnetId: string, virtualNetworkType: 'External' | 'Internal' = 'External'): Json {
  return {
    id,
    name: id.split('/').pop(),
    type: 'Microsoft.ApiManagement/service',
    location: 'West US',
    etag: 'AAAAAAAWN/4=',
    sku: { name: 'Developer', capacity: 1 },
    properties: {
      publisherEmail: 'apim@autorestsdk.com',
      publisherName: 'autorestsdk',
      provisioningState: 'Succeeded',
      targetProvisioningState: '',
      gatewayUrl: 'https://apimservice1.azure-api.net',
      publicIPAddresses: ['13.91.32.113'],
      privateIPAddresses: ['10.0.3.4'],
      virtualNetworkConfiguration: { subnetResourceId: subnetId },
      virtualNetworkType,
      disableGateway: false,
      publicNetworkAccess: 'Enabled',
      platformVersion: 'stv2',
    },
  };
}

export function managedCluster(id: string, nodeResourceGroup: string, subnetIds: readonly string[]): Json {
  return {
    id,
    name: id.split('/').pop(),
    type: 'Microsoft.ContainerService/ManagedClusters',
    location: 'location1',
    tags: { archv2: '', tier: 'production' },
    properties: {
      provisioningState: 'Succeeded',
      kubernetesVersion: '1.30',
      dnsPrefix: 'dnsprefix1',
      fqdn: 'dnsprefix1-abcd1234.hcp.eastus.azmk8s.io',
      agentPoolProfiles: subnetIds.map((subnet, i) => ({
        name: `nodepool${i + 1}`,
        count: 3,
        vmSize: 'Standard_DS2_v2',
        maxPods: 110,
        osType: 'Linux',
        type: 'VirtualMachineScaleSets',
        mode: i === 0 ? 'System' : 'User',
        vnetSubnetID: subnet,
        provisioningState: 'Succeeded',
      })),
      nodeResourceGroup,
      enableRBAC: false,
      networkProfile: { networkPlugin: 'azure', loadBalancerSku: 'standard', outboundType: 'loadBalancer' },
    },
  };
}

export function domainService(id: string, subnetId: string): Json {
  return {
    id,
    name: id.split('/').pop(),
    type: 'Microsoft.AAD/DomainServices',
    etag: 'W/"00000000-0000-0000-0000-000000000000"',
    properties: {
      domainName: 'TestDomainService.com',
      deploymentId: '4a619871-0150-41c4-aeb4-0b10deb7940a',
      sku: 'Standard',
      filteredSync: 'Enabled',
      provisioningState: 'Succeeded',
      replicaSets: [
        {
          replicaSetId: '4a619871-0150-41c4-aeb4-0b10deb7940a',
          location: 'West US',
          subnetId,
          domainControllerIpAddress: ['10.0.4.4', '10.0.4.5'],
          serviceStatus: 'Running',
        },
      ],
    },
  };
}
