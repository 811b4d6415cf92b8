#!/bin/sh
# Deploy infra/events.bicep: one Event Grid system topic and event subscription per watched
# subscription, delivering to onResourceChange. azd passes its environment (main.bicep outputs)
# as variables. Idempotent: run it again after adding a subscription.
set -eu

for name in AZURE_ENV_NAME AZURE_LOCATION AZURE_RESOURCE_GROUP NSGWATCH_FUNCTION_APP_ID \
  NSGWATCH_STORAGE_ACCOUNT_NAME NSGWATCH_DEADLETTER_CONTAINER NSGWATCH_WATCHED_SUBSCRIPTION_IDS \
  NSGWATCH_ACTION_GROUP_ID; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postdeploy: $name is not set; run 'azd provision' first" >&2
    exit 1
  fi
done

echo "Subscribing onResourceChange to network changes in: $NSGWATCH_WATCHED_SUBSCRIPTION_IDS"
az deployment sub create \
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
  --output none
echo "Event Grid wiring deployed."
