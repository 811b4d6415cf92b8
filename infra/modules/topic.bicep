// nsgwatch's own Event Grid topic: it publishes finding transitions as CloudEvents 1.0.
// Local auth is off: publishers authenticate with Entra ID (EventGrid Data Sender).
param name string
param location string
param tags object

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

output id string = topic.id
output name string = topic.name
output endpoint string = topic.properties.endpoint
