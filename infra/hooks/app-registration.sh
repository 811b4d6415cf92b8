#!/bin/sh
# preprovision: nsgwatch's Entra ID app registration, made once per azd environment and reused.
# It is both the API (tokens' audience api://<client id>, scope access_as_user, app roles
# NsgWatch.Read and NsgWatch.Act) and the dashboard's sign-in client (a SPA: code + PKCE, no
# secret; postdeploy adds the redirect URI once the app's host name is known). Only people given a
# role can sign in (appRoleAssignmentRequired). Whoever runs this gets NsgWatch.Act.
# Needs: az signed in with rights to create app registrations (Application Developer or more).
set -eu

if [ -n "${NSGWATCH_AUTH_CLIENT_ID:-}" ] && az ad app show --id "$NSGWATCH_AUTH_CLIENT_ID" --query appId -o tsv >/dev/null 2>&1; then
  echo "app-registration: using app $NSGWATCH_AUTH_CLIENT_ID (NSGWATCH_AUTH_CLIENT_ID)"
  exit 0
fi
: "${AZURE_ENV_NAME:?run through azd, or set AZURE_ENV_NAME}"

new_id() { (uuidgen 2>/dev/null || cat /proc/sys/kernel/random/uuid) | tr 'A-Z' 'a-z'; }
GRAPH="$(az cloud show --query endpoints.microsoftGraphResourceId -o tsv | sed 's#/*$##')/v1.0"
name="nsgwatch-$AZURE_ENV_NAME"

app_id="$(az ad app list --display-name "$name" --query '[0].appId' -o tsv)"
if [ -z "$app_id" ]; then
  echo "app-registration: creating $name"
  app_id="$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg --query appId -o tsv)"
fi
object_id="$(az ad app show --id "$app_id" --query id -o tsv)"

# Keep the ids of roles and scope that exist: Entra refuses to change an enabled one in place.
existing() { az ad app show --id "$app_id" --query "$1" -o tsv; }
read_role="$(existing "appRoles[?value=='NsgWatch.Read'].id | [0]")"; [ -n "$read_role" ] || read_role="$(new_id)"
act_role="$(existing "appRoles[?value=='NsgWatch.Act'].id | [0]")"; [ -n "$act_role" ] || act_role="$(new_id)"
scope_id="$(existing "api.oauth2PermissionScopes[?value=='access_as_user'].id | [0]")"; [ -n "$scope_id" ] || scope_id="$(new_id)"

az rest --method PATCH --uri "$GRAPH/applications/$object_id" --headers Content-Type=application/json --body "{
  \"identifierUris\": [\"api://$app_id\"],
  \"api\": {
    \"requestedAccessTokenVersion\": 2,
    \"oauth2PermissionScopes\": [{
      \"id\": \"$scope_id\", \"value\": \"access_as_user\", \"type\": \"User\", \"isEnabled\": true,
      \"adminConsentDisplayName\": \"Use nsgwatch\", \"adminConsentDescription\": \"Lets the nsgwatch dashboard call the nsgwatch API as the signed-in user.\",
      \"userConsentDisplayName\": \"Use nsgwatch\", \"userConsentDescription\": \"Lets the nsgwatch dashboard call the nsgwatch API as you.\"
    }]
  },
  \"appRoles\": [
    { \"id\": \"$read_role\", \"value\": \"NsgWatch.Read\", \"displayName\": \"nsgwatch reader\", \"isEnabled\": true, \"allowedMemberTypes\": [\"User\"],
      \"description\": \"Read findings, history, rules and the summary; ask flow questions.\" },
    { \"id\": \"$act_role\", \"value\": \"NsgWatch.Act\", \"displayName\": \"nsgwatch operator\", \"isEnabled\": true, \"allowedMemberTypes\": [\"User\"],
      \"description\": \"Everything a reader may do, and suppress findings and start sweeps.\" }
  ]
}"
# The dashboard asks for the API's own scope.
az rest --method PATCH --uri "$GRAPH/applications/$object_id" --headers Content-Type=application/json --body "{
  \"requiredResourceAccess\": [{ \"resourceAppId\": \"$app_id\", \"resourceAccess\": [{ \"id\": \"$scope_id\", \"type\": \"Scope\" }] }]
}"

az ad sp show --id "$app_id" --query id -o tsv >/dev/null 2>&1 || az ad sp create --id "$app_id" --output none
sp_id="$(az ad sp show --id "$app_id" --query id -o tsv)"
az ad sp update --id "$app_id" --set appRoleAssignmentRequired=true

user_id="$(az ad signed-in-user show --query id -o tsv 2>/dev/null || true)"
if [ -n "$user_id" ]; then
  has="$(az rest --method GET --uri "$GRAPH/servicePrincipals/$sp_id/appRoleAssignedTo" --query "length(value[?principalId=='$user_id' && appRoleId=='$act_role'])" -o tsv)"
  if [ "$has" = "0" ]; then
    az rest --method POST --uri "$GRAPH/servicePrincipals/$sp_id/appRoleAssignedTo" --headers Content-Type=application/json \
      --body "{\"principalId\": \"$user_id\", \"resourceId\": \"$sp_id\", \"appRoleId\": \"$act_role\"}" --output none
  fi
  echo "app-registration: you have NsgWatch.Act"
else
  echo "app-registration: signed in as a service principal; give people their roles as infra/README.md says" >&2
fi
# Consent for the whole tenant when allowed; otherwise each person consents at first sign-in.
az ad app permission admin-consent --id "$app_id" 2>/dev/null || echo "app-registration: no tenant-wide consent (needs an admin); people consent at first sign-in" >&2

azd env set NSGWATCH_AUTH_CLIENT_ID "$app_id"
echo "app-registration: NSGWATCH_AUTH_CLIENT_ID=$app_id"
