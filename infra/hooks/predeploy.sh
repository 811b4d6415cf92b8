#!/bin/sh
# predeploy: on a first `azd up`, the app identity's storage roles (made seconds ago by provision)
# may not have reached the storage service yet, and the package upload fails with 403. Wait until
# the newest of them is a few minutes old (Azure RBAC changes can take minutes to apply), bounded.
set -eu
WAIT_FOR_AGE=180

for name in AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP NSGWATCH_STORAGE_ACCOUNT_NAME NSGWATCH_IDENTITY_PRINCIPAL_ID; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || { echo "predeploy: $name is not set; run 'azd provision' first" >&2; exit 1; }
done

scope="/subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/$AZURE_RESOURCE_GROUP/providers/Microsoft.Storage/storageAccounts/$NSGWATCH_STORAGE_ACCOUNT_NAME"
newest="$(az role assignment list --subscription "$AZURE_SUBSCRIPTION_ID" --assignee "$NSGWATCH_IDENTITY_PRINCIPAL_ID" --scope "$scope" \
  --query 'max_by(@, &createdOn).createdOn' -o tsv 2>/dev/null || true)"
created="$(date -u -d "$newest" +%s 2>/dev/null || date -u -j -f '%Y-%m-%dT%H:%M:%S' "$(echo "$newest" | cut -c1-19)" +%s 2>/dev/null || echo '')"
if [ -z "$created" ]; then
  echo "predeploy: could not read when the storage roles were assigned; going on" >&2
  exit 0
fi
age=$(( $(date -u +%s) - created ))
if [ "$age" -lt "$WAIT_FOR_AGE" ]; then
  wait=$(( WAIT_FOR_AGE - age ))
  echo "predeploy: the app identity's storage roles are ${age}s old; waiting ${wait}s for them to apply before the package upload"
  sleep "$wait"
fi
