import { sqlManagedInstance } from './services/sql-managed-instance.js';
import { bicepRule } from './support/remediation.js';
import { serviceRule } from './support/service-rule.js';

export const rule = serviceRule(
  {
    id: 'SVC-003',
    title: 'A SQL Managed Instance subnet NSG blocks a flow the instance requires',
    severity: 'high',
    description:
      'For the NSG at a subnet delegated to Microsoft.Sql/managedInstances, asks the mandatory security rules of the service-aided subnet configuration (current architecture): inbound from AzureLoadBalancer and from the subnet itself, outbound to the subnet, outbound TCP 443 to AzureActiveDirectory and to OneDsCollector. The rules to Storage name the instance\'s regions (Storage.<region>), which the estate does not tell, and are not asked. The network intent policy writes these rules: an NSG that holds none of its rules yet (a template before deployment) gets them from Azure and is not judged.',
    rationale:
      'The network intent policy keeps these rules in place; a rule that blocks one of their flows before them (or an NSG moved onto the subnet without them) stops management traffic, and the service-level agreement no longer applies.',
    remediation: {
      az: 'az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name AllowHealthProbe --priority <priority> --direction Inbound --access Allow --protocol "*" --source-address-prefixes AzureLoadBalancer --destination-address-prefixes "*" --destination-port-ranges "*"',
      bicep: bicepRule({ name: 'AllowHealthProbe', priority: '<priority>', direction: 'Inbound', access: 'Allow', protocol: '*', source: 'AzureLoadBalancer', destination: '*', ports: '*', comment: 'healthprobe-in of the mandatory rules' }),
    },
    references: [sqlManagedInstance.document],
  },
  sqlManagedInstance,
  'The NSG blocks a flow Azure SQL Managed Instance requires',
);
