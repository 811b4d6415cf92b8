/**
 * SQL Managed Instance's mandatory security rules with service-aided subnet configuration, current
 * architecture (https://learn.microsoft.com/azure/azure-sql/managed-instance/connectivity-architecture-overview#mandatory-security-rules-with-service-aided-subnet-configuration):
 * inbound from AzureLoadBalancer and from the subnet itself; outbound TCP 443 to
 * AzureActiveDirectory and OneDsCollector, and to the subnet. The network intent policy writes
 * these rules. The rules to Storage name the instance's primary and secondary regions
 * (`Storage.<region>`), which the estate does not tell: they are not checked here.
 */
import { SERVICES } from '../../estate/services.js';
import type { FlowSetSpec } from '../../policy/model.js';
import type { ServiceContext, ServiceRequirements } from './types.js';

function flows(context: ServiceContext): FlowSetSpec[] {
  const subnet = [...context.subnetPrefixes];
  return [
    { label: 'inbound from AzureLoadBalancer (healthprobe-in)', direction: 'inbound', protocol: ['tcp', 'udp'], from: 'AzureLoadBalancer' },
    ...(subnet.length > 0
      ? [
          { label: 'inbound from the subnet (internal-in)', direction: 'inbound', protocol: ['tcp', 'udp'], from: subnet },
          { label: 'outbound to the subnet (internal-out)', direction: 'outbound', protocol: ['tcp', 'udp'], to: subnet },
        ]
      : []),
    { label: 'outbound TCP 443 to AzureActiveDirectory (AAD-out)', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'AzureActiveDirectory' },
    { label: 'outbound TCP 443 to OneDsCollector (OneDsCollector-out)', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'OneDsCollector' },
  ];
}

export const sqlManagedInstance: ServiceRequirements = {
  service: 'sqlManagedInstance',
  document: SERVICES.sqlManagedInstance.document,
  flows,
  writtenByIntentPolicy: true,
  prescribed: [
    { direction: 'outbound', ports: 443, to: 'Storage' },
    // The rules of the architecture before November 2022.
    { direction: 'inbound', protocol: 'tcp', ports: [9000, 9003, 1438, 1440, 1452], from: 'SqlManagement' },
    { direction: 'inbound', protocol: 'tcp', ports: [9000, 9003], from: 'CorpNetSaw' },
    { direction: 'inbound', protocol: 'tcp', ports: [9000, 9003], from: 'CorpNetPublic' },
    { direction: 'outbound', protocol: 'tcp', ports: [443, 12000], to: 'AzureCloud' },
  ],
  example: {
    use: { kind: 'sqlManagedInstance', name: SERVICES.sqlManagedInstance.name, document: SERVICES.sqlManagedInstance.document, recognisedBy: 'delegated to Microsoft.Sql/managedInstances' },
    subnetPrefixes: ['10.0.2.0/24'],
    listenerPorts: { public: [], private: [] },
  },
};
