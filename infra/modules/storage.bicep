// The app's storage account: host storage, deployment package, findings tables, evaluation queue
// and the dead-letter container. Entra ID only: shared keys are off, so no key can leak or need rotating.
param name string
param location string
param tags object
@description('Blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string

// Keep in step with lib/config/names.ts (TABLES, QUEUES, CONTAINERS); test/infra/drift.test.ts checks.
var tableNames = [
  'nsgwatchFindings'
  'nsgwatchHistory'
  'nsgwatchSuppressions'
  'nsgwatchPending'
  'nsgwatchServiceTags'
]
var queueNames = [
  'nsgwatch-evaluate'
  'nsgwatch-evaluate-poison'
]
var deadLetterContainerName = 'nsgwatch-deadletter'

resource account 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }

  resource blobServices 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }

    resource deadLetterContainer 'containers' = {
      name: deadLetterContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource tableServices 'tableServices' = {
    name: 'default'

    resource tables 'tables' = [for table in tableNames: {
      name: table
    }]
  }

  resource queueServices 'queueServices' = {
    name: 'default'

    resource queues 'queues' = [for queue in queueNames: {
      name: queue
    }]
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output deploymentContainerName string = deploymentContainerName
output deadLetterContainerName string = deadLetterContainerName
