// nsgwatch in one subscription (`azd up`): the Functions app and its identity, storage, telemetry,
// alerts, workbook, its CloudEvents topic, and read-only network access on every watched subscription. The Event
// Grid subscriptions that feed it are deployed after the code by infra/hooks/postdeploy (events.bicep).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Region for all resources: one where Flex Consumption runs.')
// azd offers only these when it asks for a location. They are the regions `az functionapp
// list-flexconsumption-locations` lists; add one here when Flex Consumption reaches it.
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'japanwest'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'switzerlandnorth'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
    default: 'swedencentral'
  }
})
param location string

@minLength(1)
@description('Application (client) id of nsgwatch\'s Entra ID app registration (infra/hooks/app-registration creates it): the API\'s token audience and the dashboard\'s sign-in client.')
param authClientId string

@minValue(40)
@maxValue(1000)
@description('Most instances the app scales out to; the ARM read budget is shared out across them.')
param maximumInstanceCount int = 40

@description('Principal running azd (AZURE_PRINCIPAL_ID); gets read access to the findings tables. Empty to skip.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Comma-separated ids of further subscriptions to watch; the deployment\'s own subscription is always watched.')
param watchedSubscriptionIds string = ''

@description('Email address that receives alerts; empty for none.')
param alertEmail string = ''

@secure()
@description('Optional webhook nsgwatch posts finding transitions to, in alertWebhookFormat (Teams, Slack or generic JSON).')
param alertWebhookUrl string = ''

@secure()
@description('Optional webhook receiver of the Azure Monitor action group (common alert schema), e.g. an incident tool.')
param actionGroupWebhookUrl string = ''

@allowed([
  'generic'
  'teams'
  'slack'
])
param alertWebhookFormat string = 'generic'

@allowed([
  'critical'
  'high'
  'medium'
  'low'
  'info'
])
@description('Findings opening at or above this severity raise an Azure Monitor alert and reach the webhook.')
param alertMinSeverity string = 'high'

@minValue(1)
@description('More transitions than this in one evaluation are sent as one digest per sink.')
param alertDigestThreshold int = 20

@minValue(0)
@maxValue(3600)
@description('Seconds a scope waits for a burst of events to settle before it is evaluated.')
param coalesceSeconds int = 10

@description('NCRONTAB schedule of the full reconcile sweep.')
param reconcileSchedule string = '0 0 */6 * * *'

@description('Region whose service tags the Service Tag Discovery API is asked for; defaults to location.')
param serviceTagsLocation string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-nsgwatch-${resourceToken}'
var watched = union([toLower(subscription().subscriptionId)], filter(map(split(watchedSubscriptionIds, ','), s => toLower(trim(s))), s => !empty(s)))

resource group 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: group
  params: {
    name: 'id-nsgwatch-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: group
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: group
  params: {
    logAnalyticsName: 'log-nsgwatch-${resourceToken}'
    applicationInsightsName: 'appi-nsgwatch-${resourceToken}'
    location: location
    tags: tags
  }
}

module topic 'modules/topic.bicep' = {
  name: 'topic'
  scope: group
  params: {
    name: 'evgt-nsgwatch-alerts-${resourceToken}'
    location: location
    tags: tags
  }
}

module appRoles 'modules/app-roles.bicep' = {
  name: 'app-roles'
  scope: group
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    topicName: topic.outputs.name
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
  }
}

module readers 'modules/subscription-reader.bicep' = [for (subscriptionId, i) in watched: {
  name: 'nsgwatch-reader-${resourceToken}-${i}'
  scope: subscription(subscriptionId)
  params: {
    principalId: identity.outputs.principalId
    environmentName: environmentName
  }
}]

// Every setting the code reads (lib/config/names.ts SETTINGS) except the local-only storage
// connection string; the function-app module adds the host storage settings and the dashboard URL.
var appSettings = {
  AZURE_CLIENT_ID: identity.outputs.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identity.outputs.clientId}'
  NSGWATCH_SUBSCRIPTION_IDS: join(watched, ',')
  NSGWATCH_RECONCILE_SCHEDULE: reconcileSchedule
  NSGWATCH_COALESCE_SECONDS: string(coalesceSeconds)
  NSGWATCH_SERVICE_TAGS_LOCATION: empty(serviceTagsLocation) ? location : serviceTagsLocation
  NSGWATCH_ALERTS_TOPIC_ENDPOINT: topic.outputs.endpoint
  NSGWATCH_ALERTS_WEBHOOK_URL: alertWebhookUrl
  NSGWATCH_ALERTS_WEBHOOK_FORMAT: alertWebhookFormat
  NSGWATCH_ALERTS_WEBHOOK_MIN_SEVERITY: alertMinSeverity
  NSGWATCH_ALERTS_DIGEST_THRESHOLD: string(alertDigestThreshold)
  // Entra ID sign-in: tokens of this tenant for this app registration (lib/api/entra.ts).
  NSGWATCH_AUTH_ISSUER: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
  NSGWATCH_AUTH_CLIENT_ID: authClientId
  // Each instance takes this share of the subscription's ARM read budget (lib/azure/budget.ts).
  NSGWATCH_MAX_INSTANCES: string(maximumInstanceCount)
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: group
  dependsOn: [
    appRoles
  ]
  params: {
    name: functionAppName
    planName: 'plan-nsgwatch-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    appSettings: appSettings
    maximumInstanceCount: maximumInstanceCount
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: group
  params: {
    environmentName: environmentName
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    alertEmail: alertEmail
    actionGroupWebhookUrl: actionGroupWebhookUrl
    alertMinSeverity: alertMinSeverity
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: group
  params: {
    environmentName: environmentName
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
  }
}

// azd stores these in the environment; infra/hooks/postdeploy reads them to wire Event Grid.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = group.name
output NSGWATCH_FUNCTION_APP_NAME string = functionApp.outputs.name
output NSGWATCH_FUNCTION_APP_ID string = functionApp.outputs.id
output NSGWATCH_DASHBOARD_URL string = 'https://${functionApp.outputs.defaultHostName}/dashboard/'
output NSGWATCH_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output NSGWATCH_DEADLETTER_CONTAINER string = storage.outputs.deadLetterContainerName
output NSGWATCH_WATCHED_SUBSCRIPTION_IDS string = join(watched, ',')
output NSGWATCH_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output NSGWATCH_ACTION_GROUP_ID string = alerts.outputs.actionGroupId
output NSGWATCH_ALERTS_TOPIC_ENDPOINT string = topic.outputs.endpoint
output NSGWATCH_WORKBOOK_ID string = workbook.outputs.id
output NSGWATCH_AUTH_CLIENT_ID string = authClientId
