// Who gets told, and when: an action group, and log alerts on the events the code emits
// (names in lib/config/names.ts EVENTS; the queries live in infra/queries/).
param environmentName string
param location string
param tags object
param appInsightsId string
@description('Email address for alerts; empty for none.')
param alertEmail string = ''
@secure()
@description('Optional webhook receiver of the action group (Azure Monitor common alert schema); empty for none.')
param actionGroupWebhookUrl string = ''
@description('Alert on findings that open at or above this severity.')
@allowed([
  'critical'
  'high'
  'medium'
  'low'
  'info'
])
param alertMinSeverity string = 'high'

var severities = [
  'critical'
  'high'
  'medium'
  'low'
  'info'
]
var alertedSeverities = take(severities, indexOf(severities, alertMinSeverity) + 1)
var severityList = join(map(alertedSeverities, s => '"${s}"'), ', ')
var findingOpenedQuery = replace(loadTextContent('../queries/finding-opened.kql'), '{{SEVERITIES}}', severityList)
var pipelineHealthQuery = loadTextContent('../queries/pipeline-health.kql')
var outboxBacklogQuery = loadTextContent('../queries/outbox-backlog.kql')

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-nsgwatch-${environmentName}'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'nsgwatch'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      {
        name: 'email'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
    webhookReceivers: empty(actionGroupWebhookUrl) ? [] : [
      {
        name: 'webhook'
        serviceUri: actionGroupWebhookUrl
        useCommonAlertSchema: true
      }
    ]
  }
}

resource findingOpened 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: 'nsgwatch-finding-opened-${environmentName}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'nsgwatch: ${alertMinSeverity} or worse finding opened'
    description: 'A compliance finding at or above ${alertMinSeverity} opened or reopened on a network security group.'
    severity: 1
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: findingOpenedQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'ruleId'
              operator: 'Include'
              values: [
                '*'
              ]
            }
            {
              name: 'severity'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    // Transitions are one-off events: each window that holds one alerts once, nothing to auto-resolve.
    autoMitigate: false
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource pipelineHealth 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: 'nsgwatch-pipeline-health-${environmentName}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'nsgwatch: evaluations failing or events dead-lettered'
    description: 'nsgwatch could not evaluate a scope after retries, or Event Grid dead-lettered a resource change; findings may be stale until the next reconcile sweep.'
    severity: 2
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: pipelineHealthQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'name'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource outboxBacklog 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: 'nsgwatch-outbox-backlog-${environmentName}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'nsgwatch: notifications waiting in the outbox'
    description: 'A transition has waited more than 15 minutes to reach an alert sink (Event Grid topic, webhook or Application Insights): the sink has been down past its retries. Nothing is lost; the dispatcher keeps retrying with backoff.'
    severity: 2
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: outboxBacklogQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

output actionGroupId string = actionGroup.id
