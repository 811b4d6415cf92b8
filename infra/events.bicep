// The event wiring, deployed after the code (azd postdeploy hook, infra/hooks/): Event Grid
// validates an Azure Function endpoint when the event subscription is created, so
// onResourceChange must already exist. One system topic and event subscription per watched
// subscription, all delivering to the same function.
targetScope = 'subscription'

@minLength(1)
param environmentName string
@minLength(1)
param location string
@description('Resource id of the nsgwatch function app.')
param functionAppId string
@description('Comma-separated subscription ids to watch (the deployment\'s own subscription is always watched).')
param watchedSubscriptionIds string = ''
@description('Storage account (in the app\'s resource group) holding the dead-letter container.')
param storageAccountName string
param resourceGroupName string
param deadLetterContainerName string = 'nsgwatch-deadletter'
@description('Action group told when Event Grid dead-letters an event.')
param actionGroupId string

var tags = {
  'azd-env-name': environmentName
}
var watched = union([toLower(subscription().subscriptionId)], filter(map(split(watchedSubscriptionIds, ','), s => toLower(trim(s))), s => !empty(s)))

module events 'modules/watched-subscription-events.bicep' = [for (subscriptionId, i) in watched: {
  name: 'nsgwatch-events-${environmentName}-${i}'
  scope: subscription(subscriptionId)
  params: {
    environmentName: environmentName
    location: location
    tags: tags
    functionAppId: functionAppId
    appSubscriptionId: subscription().subscriptionId
    storageAccountName: storageAccountName
    storageResourceGroupName: resourceGroupName
    deadLetterContainerName: deadLetterContainerName
    actionGroupId: actionGroupId
  }
}]

output eventSubscriptionIds array = [for (subscriptionId, i) in watched: events[i].outputs.eventSubscriptionId]
