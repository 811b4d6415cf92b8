// Read-only network access on one watched subscription, and nothing else: a custom role with the
// read actions of Microsoft.Network (the inventory nsgwatch evaluates and the service tags), which
// Reader would widen to every resource, setting and secret-free property in the subscription.
// lib/azure/arm.ts reads Microsoft.Network, and the read of the services that own or use a subnet;
// DESIGN §12 asks for read-only network access.
targetScope = 'subscription'

param principalId string
@description('azd environment name: custom role names are unique per tenant, so it is part of the name.')
param environmentName string

// Microsoft.Network/*/read covers every network type a change can matter for (DESIGN §7) and
// Microsoft.Network/locations/serviceTags/read; subscriptions/read lets the sweep name the subscription.
// The services outside Microsoft.Network whose subnets have documented NSG needs are read with each
// one's own read action, and nothing more of their providers:
// https://learn.microsoft.com/azure/role-based-access-control/permissions/integration (API Management),
// https://learn.microsoft.com/azure/role-based-access-control/permissions/containers (AKS),
// https://learn.microsoft.com/azure/role-based-access-control/permissions/identity (Domain Services).
var readActions = [
  'Microsoft.Network/*/read'
  'Microsoft.ApiManagement/service/read'
  'Microsoft.ContainerService/managedClusters/read'
  'Microsoft.AAD/domainServices/read'
  'Microsoft.Resources/subscriptions/read'
  'Microsoft.Resources/subscriptions/resourceGroups/read'
]

resource networkReader 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'nsgwatch-network-reader', environmentName)
  properties: {
    roleName: 'nsgwatch network reader (${environmentName}, ${subscription().subscriptionId})'
    description: 'Read-only access to the network inventory and service tags, for nsgwatch\'s managed identity.'
    type: 'CustomRole'
    assignableScopes: [
      subscription().id
    ]
    permissions: [
      {
        actions: readActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, networkReader.id)
  properties: {
    roleDefinitionId: networkReader.id
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output roleDefinitionId string = networkReader.id
