# Deploy infra/events.bicep: one Event Grid system topic and event subscription per watched
# subscription, delivering to onResourceChange. azd passes its environment (main.bicep outputs)
# as variables. Idempotent: run it again after adding a subscription.
$ErrorActionPreference = 'Stop'

$required = 'AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_RESOURCE_GROUP', 'NSGWATCH_FUNCTION_APP_ID',
  'NSGWATCH_STORAGE_ACCOUNT_NAME', 'NSGWATCH_DEADLETTER_CONTAINER', 'NSGWATCH_WATCHED_SUBSCRIPTION_IDS',
  'NSGWATCH_ACTION_GROUP_ID'
foreach ($name in $required) {
  if (-not [Environment]::GetEnvironmentVariable($name)) {
    throw "postdeploy: $name is not set; run 'azd provision' first"
  }
}

Write-Host "Subscribing onResourceChange to network changes in: $env:NSGWATCH_WATCHED_SUBSCRIPTION_IDS"
az deployment sub create `
  --name "nsgwatch-events-$env:AZURE_ENV_NAME" `
  --location $env:AZURE_LOCATION `
  --template-file infra/events.bicep `
  --parameters `
    environmentName=$env:AZURE_ENV_NAME `
    location=$env:AZURE_LOCATION `
    functionAppId=$env:NSGWATCH_FUNCTION_APP_ID `
    watchedSubscriptionIds=$env:NSGWATCH_WATCHED_SUBSCRIPTION_IDS `
    storageAccountName=$env:NSGWATCH_STORAGE_ACCOUNT_NAME `
    resourceGroupName=$env:AZURE_RESOURCE_GROUP `
    deadLetterContainerName=$env:NSGWATCH_DEADLETTER_CONTAINER `
    actionGroupId=$env:NSGWATCH_ACTION_GROUP_ID `
  --output none
if ($LASTEXITCODE -ne 0) { throw "az deployment sub create failed ($LASTEXITCODE)" }
Write-Host 'Event Grid wiring deployed.'
