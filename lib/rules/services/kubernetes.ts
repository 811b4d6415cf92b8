/**
 * AKS node subnets: what an NSG there can break.
 * - Inbound from AzureLoadBalancer: the cluster's load balancer health-probes the nodes, and the
 *   probes come from AzureLoadBalancer (168.63.129.16, "where Azure's health probes originate":
 *   https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#service-tags).
 * - Outbound TCP 443: the required FQDN rules (`*.hcp.<location>.azmk8s.io`, `mcr.microsoft.com`,
 *   `management.azure.com`, `login.microsoftonline.com`, ...) are all HTTPS:443
 *   (https://learn.microsoft.com/azure/aks/outbound-rules-control-egress); an NSG cannot name an
 *   FQDN, so at least some outbound TCP 443 to the Internet must be allowed.
 */
import { SERVICES } from '../../estate/services.js';
import type { ServiceRequirements } from './types.js';

export const AKS_EGRESS = 'https://learn.microsoft.com/azure/aks/outbound-rules-control-egress';

export const kubernetes: ServiceRequirements = {
  service: 'kubernetes',
  document: SERVICES.kubernetes.document,
  flows: () => [
    { label: 'inbound TCP from AzureLoadBalancer (health probes)', direction: 'inbound', protocol: 'tcp', from: 'AzureLoadBalancer' },
    { label: 'outbound TCP 443 to the Internet (required FQDNs)', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'Internet', when: 'some' },
  ],
  prescribed: [],
  example: {
    use: { kind: 'kubernetes', name: SERVICES.kubernetes.name, document: SERVICES.kubernetes.document, recognisedBy: 'node pool subnet of an AKS cluster' },
    subnetPrefixes: ['10.224.0.0/16'],
    listenerPorts: { public: [], private: [] },
  },
};
