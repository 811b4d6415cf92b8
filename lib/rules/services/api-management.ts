/**
 * API Management in a virtual network, classic tiers (https://learn.microsoft.com/azure/api-management/virtual-network-reference,
 * "Required ports": the bold rows, required for deployment and operation). "NSG rules allowing
 * outbound connectivity to Storage, SQL, and Azure Event Hubs service tags may use the regional
 * versions of those tags": those flows need some of the tag, the others all of it.
 */
import { SERVICES } from '../../estate/services.js';
import type { FlowSetSpec } from '../../policy/model.js';
import type { ServiceContext, ServiceRequirements } from './types.js';

function flows(context: ServiceContext): FlowSetSpec[] {
  const out: FlowSetSpec[] = [];
  if (context.use.virtualNetworkType !== 'Internal') {
    // "Client communication to API Management", external mode only.
    out.push({ label: 'inbound TCP 443 from the Internet (clients, external mode)', direction: 'inbound', protocol: 'tcp', ports: 443, from: 'Internet', except: ['ApiManagement', 'AzureLoadBalancer'], when: 'some' });
  }
  out.push(
    { label: 'inbound TCP 3443 from ApiManagement', direction: 'inbound', protocol: 'tcp', ports: 3443, from: 'ApiManagement' },
    { label: 'inbound TCP 6390 from AzureLoadBalancer', direction: 'inbound', protocol: 'tcp', ports: 6390, from: 'AzureLoadBalancer' },
    { label: 'outbound TCP 80 to the Internet (certificates)', direction: 'outbound', protocol: 'tcp', ports: 80, to: 'Internet', when: 'some' },
    { label: 'outbound TCP 443 to Storage', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'Storage', when: 'some' },
    { label: 'outbound TCP 1433 to Sql', direction: 'outbound', protocol: 'tcp', ports: 1433, to: 'Sql', when: 'some' },
    { label: 'outbound TCP 443 to AzureKeyVault', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'AzureKeyVault' },
    { label: 'outbound TCP 1886,443 to AzureMonitor', direction: 'outbound', protocol: 'tcp', ports: [1886, 443], to: 'AzureMonitor' },
  );
  return out;
}

export const apiManagement: ServiceRequirements = {
  service: 'apiManagement',
  document: SERVICES.apiManagement.document,
  flows,
  // The optional rows of the same table.
  prescribed: [
    { direction: 'outbound', protocol: 'tcp', ports: 443, to: 'AzureActiveDirectory' },
    { direction: 'outbound', protocol: 'tcp', ports: 443, to: 'AzureConnectors' },
    { direction: 'outbound', protocol: 'tcp', ports: [5671, 5672, 443], to: 'EventHub' },
    { direction: 'inbound', protocol: 'tcp', ports: 443, from: 'AzureTrafficManager' },
    { direction: 'inbound', protocol: 'tcp', ports: 6391, from: 'AzureLoadBalancer' },
  ],
  example: {
    use: { kind: 'apiManagement', name: SERVICES.apiManagement.name, document: SERVICES.apiManagement.document, recognisedBy: 'API Management (virtual network External)', virtualNetworkType: 'External' },
    subnetPrefixes: ['10.0.1.0/24'],
    listenerPorts: { public: [], private: [] },
  },
};
