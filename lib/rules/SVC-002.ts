import { apiManagement } from './services/api-management.js';
import { bicepRule } from './support/remediation.js';
import { serviceRule } from './support/service-rule.js';

export const rule = serviceRule(
  {
    id: 'SVC-002',
    title: 'An API Management subnet NSG blocks a flow the service requires',
    severity: 'high',
    description:
      'For the NSG(s) at the subnet an API Management instance (classic tiers) is deployed into (its virtualNetworkConfiguration, or a delegation to Microsoft.ApiManagement/service), asks each flow the documentation marks as required: inbound TCP 3443 from ApiManagement, inbound TCP 6390 from AzureLoadBalancer, inbound TCP 443 from some public addresses (external mode only), outbound TCP 80 to some of the Internet, TCP 443 to Storage and TCP 1433 to Sql (some of the tag: the regional tag is enough), TCP 443 to AzureKeyVault and TCP 1886 and 443 to AzureMonitor. Optional rows of the table are not asked.',
    rationale:
      'The documentation: "If certain ports are unavailable, API Management may not operate properly and may become inaccessible." The management endpoint, the infrastructure load balancer and the outbound dependencies are what deployment and operation need.',
    remediation: {
      az: 'az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name AllowApiManagement --priority <priority> --direction Inbound --access Allow --protocol Tcp --source-address-prefixes ApiManagement --destination-address-prefixes VirtualNetwork --destination-port-ranges 3443',
      bicep: bicepRule({ name: 'AllowApiManagement', priority: '<priority>', direction: 'Inbound', access: 'Allow', protocol: 'Tcp', source: 'ApiManagement', destination: 'VirtualNetwork', ports: '3443', comment: 'Management endpoint for Azure portal and PowerShell' }),
    },
    references: [apiManagement.document],
  },
  apiManagement,
  'The NSG blocks a flow Azure API Management requires',
);
