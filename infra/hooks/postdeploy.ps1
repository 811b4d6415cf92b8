# postdeploy: give the dashboard's sign-in its redirect URI, then deploy infra/events.bicep (one
# Event Grid system topic and event subscription per watched subscription, delivering to
# onResourceChange). The same steps as postdeploy.sh: a bounded wait for the function to be
# listed, then a few attempts with a growing pause (Event Grid validates the endpoint).
$ErrorActionPreference = 'Stop'

$required = 'AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'NSGWATCH_FUNCTION_APP_ID',
  'NSGWATCH_FUNCTION_APP_NAME', 'NSGWATCH_STORAGE_ACCOUNT_NAME', 'NSGWATCH_DEADLETTER_CONTAINER',
  'NSGWATCH_WATCHED_SUBSCRIPTION_IDS', 'NSGWATCH_ACTION_GROUP_ID', 'NSGWATCH_DASHBOARD_URL', 'NSGWATCH_AUTH_CLIENT_ID'
foreach ($name in $required) {
  if (-not [Environment]::GetEnvironmentVariable($name)) {
    throw "postdeploy: $name is not set; run 'azd provision' first"
  }
}

$graph = "$((az cloud show --query endpoints.microsoftGraphResourceId -o tsv).TrimEnd('/'))/v1.0"
$objectId = az ad app show --id $env:NSGWATCH_AUTH_CLIENT_ID --query id -o tsv
$body = @{ spa = @{ redirectUris = @($env:NSGWATCH_DASHBOARD_URL) } } | ConvertTo-Json -Depth 5 -Compress
$file = New-TemporaryFile
Set-Content -Path $file -Value $body
az rest --method PATCH --uri "$graph/applications/$objectId" --headers Content-Type=application/json --body "@$file"
Remove-Item $file
if ($LASTEXITCODE -ne 0) { throw 'postdeploy: could not set the dashboard redirect URI' }
Write-Host "Dashboard sign-in redirects to $env:NSGWATCH_DASHBOARD_URL"

Write-Host "Waiting for onResourceChange to be listed on $env:NSGWATCH_FUNCTION_APP_NAME"
$waited = 0
while ($true) {
  az functionapp function show --subscription $env:AZURE_SUBSCRIPTION_ID --resource-group $env:AZURE_RESOURCE_GROUP `
    --name $env:NSGWATCH_FUNCTION_APP_NAME --function-name onResourceChange --query name -o tsv 2>$null | Out-Null
  if ($LASTEXITCODE -eq 0) { break }
  if ($waited -ge 300) { Write-Warning "onResourceChange is still not listed after $waited s; trying the event wiring anyway"; break }
  Start-Sleep -Seconds 15
  $waited += 15
}

Write-Host "Subscribing onResourceChange to network changes in: $env:NSGWATCH_WATCHED_SUBSCRIPTION_IDS"
$attempts = 5
for ($attempt = 1; ; $attempt++) {
  az deployment sub create `
    --subscription $env:AZURE_SUBSCRIPTION_ID `
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
  if ($LASTEXITCODE -eq 0) { break }
  if ($attempt -ge $attempts) { throw "postdeploy: the event wiring failed $attempts times; fix what the error says and run 'azd hooks run postdeploy'" }
  $pause = $attempt * 30
  Write-Warning "attempt $attempt failed (endpoint validation and fresh role assignments can lag); retrying in $pause s"
  Start-Sleep -Seconds $pause
}
Write-Host 'Event Grid wiring deployed.'
