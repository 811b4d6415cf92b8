/**
 * Azure Databricks in your virtual network (VNet injection), the traffic its two subnets must let
 * through ("Whitelisting subnet traffic", https://learn.microsoft.com/azure/databricks/security/network/classic/vnet-inject):
 * inbound from VirtualNetwork (worker to worker) and outbound to VirtualNetwork, Sql (the
 * metastore) and Storage (artifact and log storage). The ports asked are the ones every version of
 * the document allows: the rules Databricks writes through its network intent policy
 * (`Microsoft.Databricks-workspaces_UseOnly_...`) take Sql on 3306 and Storage on 443. The
 * control plane's addresses (the AzureDatabricks tag, or per-region IPs) are not asked.
 */
import { SERVICES } from '../../estate/services.js';
import type { ServiceRequirements } from './types.js';

export const databricks: ServiceRequirements = {
  service: 'databricks',
  document: SERVICES.databricks.document,
  flows: () => [
    { label: 'inbound from VirtualNetwork (worker to worker)', direction: 'inbound', protocol: ['tcp', 'udp'], from: 'VirtualNetwork' },
    { label: 'outbound to VirtualNetwork (worker to worker)', direction: 'outbound', protocol: ['tcp', 'udp'], to: 'VirtualNetwork' },
    { label: 'outbound TCP 3306 to Sql (metastore)', direction: 'outbound', protocol: 'tcp', ports: 3306, to: 'Sql', when: 'some' },
    { label: 'outbound TCP 443 to Storage (artifacts and logs)', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'Storage', when: 'some' },
  ],
  prescribed: [
    { direction: 'outbound', protocol: 'tcp', ports: [443, 3306, '8443-8451'], to: 'AzureDatabricks' },
    { direction: 'outbound', protocol: 'tcp', ports: 9093, to: 'EventHub' },
  ],
  example: {
    use: { kind: 'databricks', name: SERVICES.databricks.name, document: SERVICES.databricks.document, recognisedBy: 'delegated to Microsoft.Databricks/workspaces' },
    subnetPrefixes: ['10.179.0.0/18'],
    listenerPorts: { public: [], private: [] },
  },
};
