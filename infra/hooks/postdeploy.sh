#!/bin/sh
# postdeploy: give the dashboard's sign-in its redirect URI, then deploy infra/events.bicep: one
# Event Grid system topic and event subscription per watched subscription, delivering to
# onResourceChange. azd passes its environment (main.bicep outputs) as variables. Idempotent: run
# it again after adding a subscription (`azd hooks run postdeploy`).
#
# Event Grid validates the function endpoint when the subscription is created; right after a
# first deploy the function may not be indexed yet. So: wait (bounded) for onResourceChange to be
# listed, then retry the deployment a few times with a growing pause.
set -eu

for name in AZURE_ENV_NAME AZURE_LOCATION AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP NSGWATCH_FUNCTION_APP_ID \
  NSGWATCH_FUNCTION_APP_NAME NSGWATCH_STORAGE_ACCOUNT_NAME NSGWATCH_DEADLETTER_CONTAINER \
  NSGWATCH_WATCHED_SUBSCRIPTION_IDS NSGWATCH_ACTION_GROUP_ID NSGWATCH_DASHBOARD_URL NSGWATCH_AUTH_CLIENT_ID; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postdeploy: $name is not set; run 'azd provision' first" >&2
    exit 1
  fi
done

# The dashboard signs in as a SPA; its redirect URI is the page itself.
GRAPH="$(az cloud show --query endpoints.microsoftGraphResourceId -o tsv | sed 's#/*$##')/v1.0"
object_id="$(az ad app show --id "$NSGWATCH_AUTH_CLIENT_ID" --query id -o tsv)"
az rest --method PATCH --uri "$GRAPH/applications/$object_id" --headers Content-Type=application/json \
  --body "{\"spa\": {\"redirectUris\": [\"$NSGWATCH_DASHBOARD_URL\"]}}"
echo "Dashboard sign-in redirects to $NSGWATCH_DASHBOARD_URL"

echo "Waiting for onResourceChange to be listed on $NSGWATCH_FUNCTION_APP_NAME"
waited=0
until az functionapp function show --subscription "$AZURE_SUBSCRIPTION_ID" --resource-group "$AZURE_RESOURCE_GROUP" \
  --name "$NSGWATCH_FUNCTION_APP_NAME" --function-name onResourceChange --query name -o tsv >/dev/null 2>&1; do
  if [ "$waited" -ge 300 ]; then
    echo "postdeploy: onResourceChange is still not listed after ${waited}s; trying the event wiring anyway" >&2
    break
  fi
  sleep 15
  waited=$((waited + 15))
done

echo "Subscribing onResourceChange to network changes in: $NSGWATCH_WATCHED_SUBSCRIPTION_IDS"
attempt=1
attempts=5
until az deployment sub create \
  --subscription "$AZURE_SUBSCRIPTION_ID" \
  --name "nsgwatch-events-$AZURE_ENV_NAME" \
  --location "$AZURE_LOCATION" \
  --template-file infra/events.bicep \
  --parameters \
    environmentName="$AZURE_ENV_NAME" \
    location="$AZURE_LOCATION" \
    functionAppId="$NSGWATCH_FUNCTION_APP_ID" \
    watchedSubscriptionIds="$NSGWATCH_WATCHED_SUBSCRIPTION_IDS" \
    storageAccountName="$NSGWATCH_STORAGE_ACCOUNT_NAME" \
    resourceGroupName="$AZURE_RESOURCE_GROUP" \
    deadLetterContainerName="$NSGWATCH_DEADLETTER_CONTAINER" \
    actionGroupId="$NSGWATCH_ACTION_GROUP_ID" \
  --output none; do
  if [ "$attempt" -ge "$attempts" ]; then
    echo "postdeploy: the event wiring failed $attempts times; fix what the error says and run 'azd hooks run postdeploy'" >&2
    exit 1
  fi
  pause=$((attempt * 30))
  echo "postdeploy: attempt $attempt failed (endpoint validation and fresh role assignments can lag); retrying in ${pause}s" >&2
  sleep "$pause"
  attempt=$((attempt + 1))
done
echo "Event Grid wiring deployed."
