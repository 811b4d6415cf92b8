/**
 * Azure Bastion's required NSG rules on AzureBastionSubnet (https://learn.microsoft.com/azure/bastion/bastion-nsg),
 * checked by BAS-001. Inbound 443 from the Internet may be restricted to addresses the user
 * chooses, so some of the Internet is enough.
 */
import { SERVICES } from '../../estate/services.js';
import type { FlowSetSpec } from '../../policy/model.js';
import type { ServiceRequirements } from './types.js';

export const BASTION_FLOWS: FlowSetSpec[] = [
  // Users' browsers: public addresses other than the platform's own (counted by the next two).
  { label: 'inbound TCP 443 from the Internet', direction: 'inbound', protocol: 'tcp', ports: 443, from: 'Internet', except: ['GatewayManager', 'AzureLoadBalancer'], when: 'some' },
  { label: 'inbound TCP 443 from GatewayManager', direction: 'inbound', protocol: 'tcp', ports: 443, from: 'GatewayManager' },
  { label: 'inbound TCP 8080,5701 from VirtualNetwork', direction: 'inbound', protocol: 'tcp', ports: [8080, 5701], from: 'VirtualNetwork' },
  { label: 'inbound TCP 443 from AzureLoadBalancer', direction: 'inbound', protocol: 'tcp', ports: 443, from: 'AzureLoadBalancer' },
  { label: 'outbound TCP 22,3389 to VirtualNetwork', direction: 'outbound', protocol: 'tcp', ports: [22, 3389], to: 'VirtualNetwork' },
  { label: 'outbound TCP 8080,5701 to VirtualNetwork', direction: 'outbound', protocol: 'tcp', ports: [8080, 5701], to: 'VirtualNetwork' },
  { label: 'outbound TCP 443 to AzureCloud', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'AzureCloud' },
  { label: 'outbound TCP 80 to the Internet', direction: 'outbound', protocol: 'tcp', ports: 80, to: 'Internet' },
];

export const bastion: ServiceRequirements = {
  service: 'bastion',
  document: SERVICES.bastion.document,
  flows: () => BASTION_FLOWS,
  prescribed: [],
  example: {
    use: { kind: 'bastion', name: SERVICES.bastion.name, document: SERVICES.bastion.document, recognisedBy: 'the subnet name AzureBastionSubnet' },
    subnetPrefixes: ['10.0.1.0/26'],
    listenerPorts: { public: [], private: [] },
  },
};
