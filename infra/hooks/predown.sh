#!/bin/sh
# Before `azd down` deletes the app's resource group: remove what lives in the watched
# subscriptions (the event resource groups, the Reader assignments), which azd does not track.
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
  if [ -n "${NSGWATCH_IDENTITY_PRINCIPAL_ID:-}" ]; then
    az role assignment delete --assignee "$NSGWATCH_IDENTITY_PRINCIPAL_ID" --role Reader \
      --scope "/subscriptions/$subscription" 2>/dev/null || true
  fi
done
