// The subscription's system topic and the event subscription that hands successful writes,
// deletes and actions on watched network resources to onResourceChange. Undeliverable events
// are dead-lettered to a blob container with the topic's own identity (no storage key).
param environmentName string
param tags object
param functionAppId string
param appSubscriptionId string
param storageAccountName string
param storageResourceGroupName string
param deadLetterContainerName string
param actionGroupId string

// Keep in step with lib/config/names.ts (FUNCTIONS, SUBSCRIBED_EVENT_TYPES,
// EVENT_FILTER_RESOURCE_TYPES); test/infra/drift.test.ts checks.
var functionName = 'onResourceChange'
// /subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Web/sites/{name}
var functionApp = split(functionAppId, '/')
var subscribedEventTypes = [
  'Microsoft.Resources.ResourceWriteSuccess'
  'Microsoft.Resources.ResourceDeleteSuccess'
  'Microsoft.Resources.ResourceActionSuccess'
]
// Each watched type whose parent is not watched: the filter compares with StringBeginsWith, so a
// type's prefix lets its children through (EVENT_FILTER_RESOURCE_TYPES; at most 25 values in all).
var watchedResourceTypes = [
  'Microsoft.Network/networkSecurityGroups'
  'Microsoft.Network/virtualNetworks'
  'Microsoft.Network/networkInterfaces'
  'Microsoft.Network/natGateways'
  'Microsoft.Network/bastionHosts'
  'Microsoft.Network/applicationSecurityGroups'
  'Microsoft.Network/publicIPAddresses'
  'Microsoft.Network/loadBalancers'
  'Microsoft.Compute/virtualMachineScaleSets'
  'Microsoft.Network/routeTables'
  'Microsoft.Network/virtualNetworkGateways'
  'Microsoft.Network/connections'
  'Microsoft.Network/localNetworkGateways'
  'Microsoft.Network/privateEndpoints'
  'Microsoft.Network/networkManagers'
  'Microsoft.Network/applicationGateways'
  'Microsoft.ApiManagement/service'
  'Microsoft.ContainerService/managedClusters'
  'Microsoft.AAD/domainServices'
]

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: 'evgt-nsgwatch-${environmentName}'
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

module deadLetterAccess 'dead-letter-access.bicep' = {
  name: 'nsgwatch-deadletter-${environmentName}-${uniqueString(subscription().id)}'
  scope: resourceGroup(appSubscriptionId, storageResourceGroupName)
  params: {
    principalId: topic.identity.principalId
    storageAccountName: storageAccountName
    containerName: deadLetterContainerName
  }
}

resource eventSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'nsgwatch-resource-changes'
  dependsOn: [
    deadLetterAccess
  ]
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: resourceId(functionApp[2], functionApp[4], 'Microsoft.Web/sites/functions', functionApp[8], functionName)
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: subscribedEventTypes
      // data.operationName is `<resource type>/write|delete|<action>/action`; Event Grid compares case-insensitively.
      advancedFilters: [
        {
          operatorType: 'StringBeginsWith'
          key: 'data.operationName'
          values: [for resourceType in watchedResourceTypes: '${resourceType}/']
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: resourceId(appSubscriptionId, storageResourceGroupName, 'Microsoft.Storage/storageAccounts', storageAccountName)
          blobContainerName: deadLetterContainerName
        }
      }
    }
    labels: [
      'nsgwatch'
    ]
  }
}

// Event Grid's own count, independent of the code: any dead-lettered change alerts.
resource deadLettered 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: 'nsgwatch-deadlettered-${environmentName}-${uniqueString(subscription().id)}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Event Grid dead-lettered resource changes for nsgwatch in subscription ${subscription().subscriptionId}; see the ${deadLetterContainerName} container.'
    severity: 2
    enabled: true
    scopes: [
      topic.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'DeadLettered'
          metricNamespace: 'Microsoft.EventGrid/systemTopics'
          metricName: 'DeadLetteredCount'
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Total'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroupId
      }
    ]
  }
}

output eventSubscriptionId string = eventSubscription.id
