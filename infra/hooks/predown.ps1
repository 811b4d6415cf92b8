# Before `azd down` deletes the app's resource group: remove what lives in the watched
# subscriptions (the event resource groups, the Reader assignments), which azd does not track.
$ErrorActionPreference = 'Stop'

if (-not $env:NSGWATCH_WATCHED_SUBSCRIPTION_IDS -or -not $env:AZURE_ENV_NAME) {
  Write-Host 'predown: nothing recorded for this environment; skipping'
  exit 0
}

foreach ($subscription in $env:NSGWATCH_WATCHED_SUBSCRIPTION_IDS.Split(',')) {
  Write-Host "Removing nsgwatch event wiring from subscription $subscription"
  $group = "rg-$($env:AZURE_ENV_NAME)-events"
  if ((az group exists --subscription $subscription --name $group) -eq 'true') {
    az group delete --subscription $subscription --name $group --yes
  }
  if ($env:NSGWATCH_IDENTITY_PRINCIPAL_ID) {
    az role assignment delete --assignee $env:NSGWATCH_IDENTITY_PRINCIPAL_ID --role Reader `
      --scope "/subscriptions/$subscription" 2>$null
  }
}
