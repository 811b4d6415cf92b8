// One watched subscription's event source: a resource group for its Event Grid system topic.
targetScope = 'subscription'

param environmentName string
param location string
param tags object
param functionAppId string
param appSubscriptionId string
param storageAccountName string
param storageResourceGroupName string
param deadLetterContainerName string
param actionGroupId string

resource group 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}-events'
  location: location
  tags: tags
}

module topic 'system-topic-events.bicep' = {
  name: 'nsgwatch-topic-${environmentName}'
  scope: group
  params: {
    environmentName: environmentName
    tags: tags
    functionAppId: functionAppId
    appSubscriptionId: appSubscriptionId
    storageAccountName: storageAccountName
    storageResourceGroupName: storageResourceGroupName
    deadLetterContainerName: deadLetterContainerName
    actionGroupId: actionGroupId
  }
}

output eventSubscriptionId string = topic.outputs.eventSubscriptionId
