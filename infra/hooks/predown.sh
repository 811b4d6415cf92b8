#!/bin/sh
# Before `azd down` deletes the app's resource group: remove what lives in the watched
# subscriptions (the event resource groups, the network reader roles), which azd does not track,
# and the app registration infra/hooks/app-registration made.
set -eu

if [ -z "${NSGWATCH_WATCHED_SUBSCRIPTION_IDS:-}" ] || [ -z "${AZURE_ENV_NAME:-}" ]; then
  echo "predown: nothing recorded for this environment; skipping" >&2
  exit 0
fi

for subscription in $(echo "$NSGWATCH_WATCHED_SUBSCRIPTION_IDS" | tr ',' ' '); do
  echo "Removing nsgwatch event wiring from subscription $subscription"
  if az group exists --subscription "$subscription" --name "rg-$AZURE_ENV_NAME-events" | grep -q true; then
    az group delete --subscription "$subscription" --name "rg-$AZURE_ENV_NAME-events" --yes
  fi
  role="nsgwatch network reader ($AZURE_ENV_NAME, $subscription)"
  if [ -n "${NSGWATCH_IDENTITY_PRINCIPAL_ID:-}" ]; then
    az role assignment delete --subscription "$subscription" --assignee "$NSGWATCH_IDENTITY_PRINCIPAL_ID" --role "$role" \
      --scope "/subscriptions/$subscription" 2>/dev/null || true
  fi
  az role definition delete --subscription "$subscription" --name "$role" --scope "/subscriptions/$subscription" 2>/dev/null || true
done

if [ -n "${NSGWATCH_AUTH_CLIENT_ID:-}" ]; then
  echo "Deleting the app registration $NSGWATCH_AUTH_CLIENT_ID (and with it everyone's nsgwatch roles)"
  az ad app delete --id "$NSGWATCH_AUTH_CLIENT_ID" 2>/dev/null || true
  azd env set NSGWATCH_AUTH_CLIENT_ID ""
fi
