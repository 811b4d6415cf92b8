# preprovision: nsgwatch's Entra ID app registration, once per azd environment; the same steps as
# app-registration.sh (API with scope access_as_user and app roles NsgWatch.Read / NsgWatch.Act,
# dashboard as a SPA client, sign-in only with a role; whoever runs it gets NsgWatch.Act).
$ErrorActionPreference = 'Stop'

if ($env:NSGWATCH_AUTH_CLIENT_ID) {
  az ad app show --id $env:NSGWATCH_AUTH_CLIENT_ID --query appId -o tsv 2>$null | Out-Null
  if ($LASTEXITCODE -eq 0) { Write-Host "app-registration: using app $($env:NSGWATCH_AUTH_CLIENT_ID)"; exit 0 }
}
if (-not $env:AZURE_ENV_NAME) { throw 'app-registration: run through azd, or set AZURE_ENV_NAME' }

function Invoke-Graph([string] $method, [string] $uri, $body) {
  $file = New-TemporaryFile
  Set-Content -Path $file -Value ($body | ConvertTo-Json -Depth 10 -Compress)
  az rest --method $method --uri $uri --headers Content-Type=application/json --body "@$file" --output none
  $code = $LASTEXITCODE
  Remove-Item $file
  if ($code -ne 0) { throw "app-registration: $method $uri failed" }
}

$graph = "$((az cloud show --query endpoints.microsoftGraphResourceId -o tsv).TrimEnd('/'))/v1.0"
$name = "nsgwatch-$($env:AZURE_ENV_NAME)"
$appId = az ad app list --display-name $name --query '[0].appId' -o tsv
if (-not $appId) {
  Write-Host "app-registration: creating $name"
  $appId = az ad app create --display-name $name --sign-in-audience AzureADMyOrg --query appId -o tsv
}
$objectId = az ad app show --id $appId --query id -o tsv
function Existing([string] $query) { $v = az ad app show --id $appId --query $query -o tsv; if ($v) { $v } else { [guid]::NewGuid().ToString() } }
$readRole = Existing "appRoles[?value=='NsgWatch.Read'].id | [0]"
$actRole = Existing "appRoles[?value=='NsgWatch.Act'].id | [0]"
$scopeId = Existing "api.oauth2PermissionScopes[?value=='access_as_user'].id | [0]"

Invoke-Graph PATCH "$graph/applications/$objectId" @{
  identifierUris = @("api://$appId")
  api = @{
    requestedAccessTokenVersion = 2
    oauth2PermissionScopes = @(@{
      id = $scopeId; value = 'access_as_user'; type = 'User'; isEnabled = $true
      adminConsentDisplayName = 'Use nsgwatch'; adminConsentDescription = 'Lets the nsgwatch dashboard call the nsgwatch API as the signed-in user.'
      userConsentDisplayName = 'Use nsgwatch'; userConsentDescription = 'Lets the nsgwatch dashboard call the nsgwatch API as you.'
    })
  }
  appRoles = @(
    @{ id = $readRole; value = 'NsgWatch.Read'; displayName = 'nsgwatch reader'; isEnabled = $true; allowedMemberTypes = @('User'); description = 'Read findings, history, rules and the summary; ask flow questions.' },
    @{ id = $actRole; value = 'NsgWatch.Act'; displayName = 'nsgwatch operator'; isEnabled = $true; allowedMemberTypes = @('User'); description = 'Everything a reader may do, and suppress findings and start sweeps.' }
  )
}
Invoke-Graph PATCH "$graph/applications/$objectId" @{
  requiredResourceAccess = @(@{ resourceAppId = $appId; resourceAccess = @(@{ id = $scopeId; type = 'Scope' }) })
}

az ad sp show --id $appId --query id -o tsv 2>$null | Out-Null
if ($LASTEXITCODE -ne 0) { az ad sp create --id $appId --output none }
$spId = az ad sp show --id $appId --query id -o tsv
az ad sp update --id $appId --set appRoleAssignmentRequired=true

$userId = az ad signed-in-user show --query id -o tsv 2>$null
if ($userId) {
  $has = az rest --method GET --uri "$graph/servicePrincipals/$spId/appRoleAssignedTo" --query "length(value[?principalId=='$userId' && appRoleId=='$actRole'])" -o tsv
  if ($has -eq '0') { Invoke-Graph POST "$graph/servicePrincipals/$spId/appRoleAssignedTo" @{ principalId = $userId; resourceId = $spId; appRoleId = $actRole } }
  Write-Host 'app-registration: you have NsgWatch.Act'
} else {
  Write-Warning 'app-registration: signed in as a service principal; give people their roles as infra/README.md says'
}
az ad app permission admin-consent --id $appId 2>$null
if ($LASTEXITCODE -ne 0) { Write-Warning 'app-registration: no tenant-wide consent (needs an admin); people consent at first sign-in' }

azd env set NSGWATCH_AUTH_CLIENT_ID $appId
Write-Host "app-registration: NSGWATCH_AUTH_CLIENT_ID=$appId"
