// The operators' workbook: open findings, opened vs resolved, event-to-finding latency and
// evaluation failures, from the events and metrics the code emits (infra/workbook/).
param environmentName string
param location string
param tags object
param appInsightsId string

var content = loadJsonContent('../workbook/nsgwatch.workbook.json')

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'nsgwatch-workbook', environmentName)
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'nsgwatch (${environmentName})'
    category: 'workbook'
    sourceId: appInsightsId
    version: 'Notebook/1.0'
    serializedData: string(union(content, {
      fallbackResourceIds: [
        appInsightsId
      ]
    }))
  }
}

output id string = workbook.id
