# predeploy: wait (bounded) until the app identity's storage roles are a few minutes old, so a
# first deploy's package upload does not race them into a 403. The same as predeploy.sh.
$ErrorActionPreference = 'Stop'
$waitForAge = 180
foreach ($name in 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'NSGWATCH_STORAGE_ACCOUNT_NAME', 'NSGWATCH_IDENTITY_PRINCIPAL_ID') {
  if (-not [Environment]::GetEnvironmentVariable($name)) { throw "predeploy: $name is not set; run 'azd provision' first" }
}
$scope = "/subscriptions/$env:AZURE_SUBSCRIPTION_ID/resourceGroups/$env:AZURE_RESOURCE_GROUP/providers/Microsoft.Storage/storageAccounts/$env:NSGWATCH_STORAGE_ACCOUNT_NAME"
$newest = az role assignment list --subscription $env:AZURE_SUBSCRIPTION_ID --assignee $env:NSGWATCH_IDENTITY_PRINCIPAL_ID --scope $scope `
  --query 'max_by(@, &createdOn).createdOn' -o tsv 2>$null
if (-not $newest) { Write-Warning 'could not read when the storage roles were assigned; going on'; exit 0 }
$age = [int]((Get-Date).ToUniversalTime() - ([DateTimeOffset]::Parse($newest)).UtcDateTime).TotalSeconds
if ($age -lt $waitForAge) {
  $wait = $waitForAge - $age
  Write-Host "predeploy: the app identity's storage roles are $age s old; waiting $wait s for them to apply before the package upload"
  Start-Sleep -Seconds $wait
}
