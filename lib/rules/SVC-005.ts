import { AKS_EGRESS, kubernetes } from './services/kubernetes.js';
import { DOCS, bicepRule } from './support/remediation.js';
import { serviceRule } from './support/service-rule.js';

export const rule = serviceRule(
  {
    id: 'SVC-005',
    title: 'An NSG on AKS nodes blocks a flow the cluster requires',
    severity: 'medium',
    description:
      'For the NSGs at an AKS node subnet (an AKS cluster\'s node pools, or scale sets in its node resource group), asks what an NSG can break there: inbound TCP from AzureLoadBalancer (the load balancer\'s health probes), and some outbound TCP 443 to the Internet (every required FQDN of the AKS egress documentation is HTTPS 443, and an NSG cannot name an FQDN). Both NSGs count: the node-pool NSG AKS writes and a subnet NSG of your own.',
    rationale:
      'A subnet NSG that denies outbound 443 leaves nodes unable to reach the API server and the container registries; one that denies the health probes takes every LoadBalancer service out of rotation.',
    remediation: {
      az: 'az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name AllowHttpsOutbound --priority <priority> --direction Outbound --access Allow --protocol Tcp --source-address-prefixes "*" --destination-address-prefixes AzureCloud --destination-port-ranges 443',
      bicep: bicepRule({ name: 'AllowHttpsOutbound', priority: '<priority>', direction: 'Outbound', access: 'Allow', protocol: 'Tcp', source: '*', destination: 'AzureCloud', ports: '443', comment: 'AKS required FQDNs are HTTPS 443' }),
    },
    references: [kubernetes.document, AKS_EGRESS, DOCS.nsgOverview],
  },
  kubernetes,
  'The NSG blocks a flow Azure Kubernetes Service requires',
);
