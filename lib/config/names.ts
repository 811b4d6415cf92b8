/**
 * One source of truth for every name the code shares with the deployment (infra/) and the
 * monitoring queries: app settings, tables, queues, event and metric names. The infra drift test
 * reads this module and the Bicep and fails when they disagree.
 */

/** App settings (environment variables) the code reads. */
export const SETTINGS = {
  /** Identity-based storage connection (Functions convention): the account name only, no keys. */
  storageAccountName: 'AzureWebJobsStorage__accountName',
  /** Locally: `UseDevelopmentStorage=true` or an Azurite connection string. */
  storageConnectionString: 'AzureWebJobsStorage',
  /** Client id of the user-assigned managed identity (DefaultAzureCredential reads AZURE_CLIENT_ID). */
  managedIdentityClientId: 'AZURE_CLIENT_ID',
  /** Comma-separated subscription ids the reconcile sweep reads. */
  watchedSubscriptions: 'NSGWATCH_SUBSCRIPTION_IDS',
  /** NCRONTAB schedule of the reconcile sweep (default every 6 hours). */
  reconcileSchedule: 'NSGWATCH_RECONCILE_SCHEDULE',
  /** Seconds a scope waits for a burst of events to settle before it is evaluated. */
  coalesceSeconds: 'NSGWATCH_COALESCE_SECONDS',
  /** Location whose service tags are read from the Service Tag Discovery API. */
  serviceTagsLocation: 'NSGWATCH_SERVICE_TAGS_LOCATION',
  /** Endpoint of nsgwatch's own Event Grid custom topic (CloudEvents), identity auth. */
  alertsTopicEndpoint: 'NSGWATCH_ALERTS_TOPIC_ENDPOINT',
  /** Optional webhook for alerts (generic JSON, Teams or Slack). */
  alertsWebhookUrl: 'NSGWATCH_ALERTS_WEBHOOK_URL',
  /** generic | teams | slack */
  alertsWebhookFormat: 'NSGWATCH_ALERTS_WEBHOOK_FORMAT',
  /** Lowest severity that reaches the webhook. */
  alertsWebhookMinSeverity: 'NSGWATCH_ALERTS_WEBHOOK_MIN_SEVERITY',
  /** More transitions than this in one evaluation are sent as one digest per sink. */
  alertsDigestThreshold: 'NSGWATCH_ALERTS_DIGEST_THRESHOLD',
  /** Base URL of the dashboard, for links in alerts. */
  dashboardUrl: 'NSGWATCH_DASHBOARD_URL',
  /** Entra ID v2.0 issuer of the tenant whose people sign in (https://login.microsoftonline.com/<tenant>/v2.0). */
  authIssuer: 'NSGWATCH_AUTH_ISSUER',
  /** Application (client) id of nsgwatch's app registration: the tokens' audience and the page's client. */
  authClientId: 'NSGWATCH_AUTH_CLIENT_ID',
  /** The plan's maximum instance count: each instance takes this share of the ARM read budget. */
  maxInstances: 'NSGWATCH_MAX_INSTANCES',
  /** Application Insights connection string (set by the platform). */
  appInsightsConnectionString: 'APPLICATIONINSIGHTS_CONNECTION_STRING',
  /** `Authorization=AAD;ClientId=<identity>`: Entra ID ingestion, since the deployment turns local auth off. */
  appInsightsAuthenticationString: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
} as const;


/** Azure Table Storage tables. */
export const TABLES = {
  findings: 'nsgwatchFindings',
  history: 'nsgwatchHistory',
  suppressions: 'nsgwatchSuppressions',
  /** Per-scope coalescing guard for event bursts. */
  pending: 'nsgwatchPending',
  /** Cached service tag data with its changeNumber. */
  serviceTags: 'nsgwatchServiceTags',
} as const;

/** Azure Storage queues. */
export const QUEUES = {
  /** Scopes waiting to be evaluated (messages carry a visibility delay for coalescing). */
  evaluate: 'nsgwatch-evaluate',
  /** Where the Functions host moves messages that failed maxDequeueCount times. */
  evaluatePoison: 'nsgwatch-evaluate-poison',
} as const;

/**
 * How many times the host delivers a queue message before it moves it to the poison queue:
 * host.json `extensions.queues.maxDequeueCount` (test/config/host.test.ts holds the two together),
 * and what local mode's poller does in its place.
 */
export const MAX_DEQUEUE_COUNT = 5;

/** Blob containers. */
export const CONTAINERS = {
  /** Where Event Grid dead-letters the events it could not deliver to onResourceChange. */
  eventDeadLetters: 'nsgwatch-deadletter',
} as const;

/** The Azure Functions the app registers; the deployment's event subscription targets onResourceChange. */
export const FUNCTIONS = {
  /** Event Grid trigger: resource changes → coalesced scopes on QUEUES.evaluate. */
  onResourceChange: 'onResourceChange',
  /** Queue trigger on QUEUES.evaluate. */
  evaluateScope: 'evaluateScope',
  /** Timer: the full sweep (SETTINGS.reconcileSchedule). */
  reconcile: 'reconcile',
  /** Timer, every minute: delivers the outbox (alerts a sink has not had yet), with backoff. */
  dispatchAlerts: 'dispatchAlerts',
  /** HTTP: findings, history, suppressions, flow check, scan, rules, summary under /api/ (Entra ID token). */
  api: 'api',
  /** HTTP: the dashboard's page and static files under /dashboard/ (no data; the page signs in). */
  dashboard: 'dashboard',
} as const;

/** Application Insights custom events. */
export const EVENTS = {
  findingOpened: 'FindingOpened',
  findingResolved: 'FindingResolved',
  findingReopened: 'FindingReopened',
  findingSuppressed: 'FindingSuppressed',
  suppressionExpired: 'SuppressionExpired',
  alertDigest: 'FindingDigest',
  evaluationFailed: 'EvaluationFailed',
  eventDeadLettered: 'EventDeadLettered',
} as const;

/** Application Insights custom metrics. */
export const METRICS = {
  openFindings: 'nsgwatch.openFindings',
  evaluations: 'nsgwatch.evaluations',
  evaluationFailures: 'nsgwatch.evaluationFailures',
  eventToFindingLatencyMs: 'nsgwatch.eventToFindingLatencyMs',
  alertSinkFailures: 'nsgwatch.alertSinkFailures',
  /** Transitions whose notification some sink has not had yet (the outbox). */
  pendingNotifications: 'nsgwatch.pendingNotifications',
  oldestPendingNotificationAgeMs: 'nsgwatch.oldestPendingNotificationAgeMs',
} as const;

/**
 * Properties (customDimensions) of the Application Insights events; the workbook and the alert
 * rules in infra/ query exactly these.
 */
export const EVENT_PROPERTIES = {
  findingId: 'findingId',
  ruleId: 'ruleId',
  severity: 'severity',
  resourceId: 'resourceId',
  /** The scope an evaluation ran on (EvaluationFailed). */
  scope: 'scope',
  /** Why an evaluation failed or an event was dead-lettered. */
  reason: 'reason',
  /** Finding events (FindingOpened, ...): the transition and the finding's headline. */
  transitionId: 'transitionId',
  kind: 'kind',
  status: 'status',
  resourceName: 'resourceName',
  title: 'title',
  message: 'message',
  at: 'at',
  changedBy: 'changedBy',
  eventId: 'eventId',
  correlationId: 'correlationId',
  eventTime: 'eventTime',
  suppressionReason: 'suppressionReason',
  link: 'link',
  /** FindingDigest: counts (JSON) and the most severe items. */
  total: 'total',
  byKind: 'byKind',
  bySeverity: 'bySeverity',
  byRule: 'byRule',
  top: 'top',
  /** Metric dimensions: evaluation outcome (ok | failed) and the alert sink that failed. */
  outcome: 'outcome',
  sink: 'sink',
} as const;

/** CloudEvents types nsgwatch publishes on its custom topic. */
export const CLOUD_EVENT_TYPES = {
  opened: 'nsgwatch.finding.opened',
  reopened: 'nsgwatch.finding.reopened',
  resolved: 'nsgwatch.finding.resolved',
  suppressed: 'nsgwatch.finding.suppressed',
  suppressionExpired: 'nsgwatch.finding.suppressionExpired',
  digest: 'nsgwatch.finding.digest',
} as const;

/** The resource types whose changes can affect an NSG verdict (DESIGN §7). */
export const WATCHED_RESOURCE_TYPES = [
  'Microsoft.Network/networkSecurityGroups',
  'Microsoft.Network/networkSecurityGroups/securityRules',
  'Microsoft.Network/virtualNetworks',
  'Microsoft.Network/virtualNetworks/subnets',
  'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
  'Microsoft.Network/networkInterfaces',
  'Microsoft.Network/natGateways',
  'Microsoft.Network/bastionHosts',
  'Microsoft.Network/applicationSecurityGroups',
  // Public paths (DESIGN §7: a public IP or load balancer → the attachment points it gives a public path).
  'Microsoft.Network/publicIPAddresses',
  'Microsoft.Network/loadBalancers',
  'Microsoft.Network/loadBalancers/inboundNatRules',
  'Microsoft.Network/loadBalancers/backendAddressPools',
  // A scale set → its NSG and subnet (its instance NICs); instances come and go with scale-out.
  'Microsoft.Compute/virtualMachineScaleSets',
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
  // What VirtualNetwork holds (DESIGN §3): user-defined routes, and the spaces a gateway connects.
  'Microsoft.Network/routeTables',
  'Microsoft.Network/routeTables/routes',
  'Microsoft.Network/virtualNetworkGateways',
  'Microsoft.Network/connections',
  'Microsoft.Network/localNetworkGateways',
  // Whether a subnet's NSG filters an endpoint, and that it is not a VM.
  'Microsoft.Network/privateEndpoints',
  // Virtual Network Manager (DESIGN §3 "Composition"): security admin configurations, their rule
  // collections and rules, network groups and static members, and the commit action, all under
  // this prefix; a change re-judges the subscription (lib/azure/scopes.ts says why).
  'Microsoft.Network/networkManagers',
  // Services that own or use a subnet (their documented NSG needs are rules): an application
  // gateway → the subnets of its gateway IP configurations and its public frontends' paths; API
  // Management, AKS and Entra Domain Services → the subnets they name (lib/azure/scopes.ts).
  'Microsoft.Network/applicationGateways',
  'Microsoft.ApiManagement/service',
  'Microsoft.ContainerService/managedClusters',
  'Microsoft.AAD/domainServices',
] as const;

/**
 * The values of the event subscription's `data.operationName` filter: each watched type whose
 * parent type is not watched. The filter compares with StringBeginsWith, so `<type>/` lets the
 * type's children through too, and Event Grid allows 25 advanced-filter values in all
 * (https://learn.microsoft.com/azure/event-grid/event-filtering#limitations).
 */
export const EVENT_FILTER_RESOURCE_TYPES: readonly string[] = WATCHED_RESOURCE_TYPES.filter(
  (type) => !WATCHED_RESOURCE_TYPES.some((parent) => type.toLowerCase().startsWith(`${parent.toLowerCase()}/`)),
);

/** Event Grid system event types the deployment subscribes to. */
export const SUBSCRIBED_EVENT_TYPES = [
  'Microsoft.Resources.ResourceWriteSuccess',
  'Microsoft.Resources.ResourceDeleteSuccess',
  'Microsoft.Resources.ResourceActionSuccess',
] as const;
