# Before `azd down` deletes the app's resource group: remove what lives in the watched
# subscriptions (the event resource groups, the network reader roles), which azd does not track,
# and the app registration infra/hooks/app-registration made.
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
  $role = "nsgwatch network reader ($($env:AZURE_ENV_NAME), $subscription)"
  if ($env:NSGWATCH_IDENTITY_PRINCIPAL_ID) {
    az role assignment delete --subscription $subscription --assignee $env:NSGWATCH_IDENTITY_PRINCIPAL_ID --role $role `
      --scope "/subscriptions/$subscription" 2>$null
  }
  az role definition delete --subscription $subscription --name $role --scope "/subscriptions/$subscription" 2>$null
}

if ($env:NSGWATCH_AUTH_CLIENT_ID) {
  Write-Host "Deleting the app registration $($env:NSGWATCH_AUTH_CLIENT_ID) (and with it everyone's nsgwatch roles)"
  az ad app delete --id $env:NSGWATCH_AUTH_CLIENT_ID 2>$null
  azd env set NSGWATCH_AUTH_CLIENT_ID ''
}
