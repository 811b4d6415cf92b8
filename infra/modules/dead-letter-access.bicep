// Lets one system topic write dead-lettered events into the dead-letter container, and nothing else.
param principalId string
param storageAccountName string
param containerName string

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = {
  name: '${storageAccountName}/default/${containerName}'
}

resource writer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, principalId, storageBlobDataContributor)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
