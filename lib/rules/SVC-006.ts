import { databricks } from './services/databricks.js';
import { bicepRule } from './support/remediation.js';
import { serviceRule } from './support/service-rule.js';

export const rule = serviceRule(
  {
    id: 'SVC-006',
    title: 'A Databricks subnet NSG blocks a flow the workspace requires',
    severity: 'high',
    description:
      'For the NSG at a subnet delegated to Microsoft.Databricks/workspaces (the host and container subnets of a VNet-injected workspace), asks the traffic the documentation requires between the subnets and the services clusters depend on: inbound from VirtualNetwork and outbound to VirtualNetwork (worker to worker), outbound TCP 3306 to Sql (the metastore) and TCP 443 to Storage (artifacts and logs), some of each tag (the regional tag is enough). The control plane\'s addresses are not asked.',
    rationale:
      'The documentation\'s troubleshooting names what each blocked flow breaks: worker-to-worker traffic blocked leaves commands not responding, Storage blocked fails cluster launch ("Timeout while placing node"), and the metastore unreachable stops Spark from starting.',
    remediation: {
      az: 'az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name AllowWorkerToStorage --priority <priority> --direction Outbound --access Allow --protocol Tcp --source-address-prefixes VirtualNetwork --destination-address-prefixes Storage --destination-port-ranges 443',
      bicep: bicepRule({ name: 'AllowWorkerToStorage', priority: '<priority>', direction: 'Outbound', access: 'Allow', protocol: 'Tcp', source: 'VirtualNetwork', destination: 'Storage', ports: '443', comment: 'Databricks artifact and log storage' }),
    },
    references: [databricks.document],
  },
  databricks,
  'The NSG blocks a flow Azure Databricks requires',
);
