/**
 * Microsoft Entra Domain Services (https://learn.microsoft.com/entra/identity/domain-services/network-considerations):
 * inbound TCP 5986 from AzureActiveDirectoryDomainServices is required ("Management of your
 * domain"); 3389 from CorpNetSaw is optional ("Debugging for support"). Outbound: keep the default
 * rules, or restrict to the service tags the table requires (each one required here; the default
 * AllowInternetOutBound covers them all).
 */
import { SERVICES } from '../../estate/services.js';
import type { ServiceRequirements } from './types.js';

export const domainServices: ServiceRequirements = {
  service: 'domainServices',
  document: SERVICES.domainServices.document,
  flows: () => [
    { label: 'inbound TCP 5986 from AzureActiveDirectoryDomainServices', direction: 'inbound', protocol: 'tcp', ports: 5986, from: 'AzureActiveDirectoryDomainServices' },
    { label: 'outbound TCP 443 to AzureActiveDirectoryDomainServices', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'AzureActiveDirectoryDomainServices' },
    { label: 'outbound TCP 443 to AzureMonitor', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'AzureMonitor' },
    { label: 'outbound TCP 443 to Storage', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'Storage' },
    { label: 'outbound TCP 443 to AzureActiveDirectory', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'AzureActiveDirectory' },
    { label: 'outbound TCP 443 to AzureUpdateDelivery', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'AzureUpdateDelivery' },
    { label: 'outbound TCP 80 to AzureFrontDoor.FirstParty', direction: 'outbound', protocol: 'tcp', ports: 80, to: 'AzureFrontDoor.FirstParty' },
    { label: 'outbound TCP 443 to GuestAndHybridManagement', direction: 'outbound', protocol: 'tcp', ports: 443, to: 'GuestAndHybridManagement' },
  ],
  prescribed: [{ direction: 'inbound', protocol: 'tcp', ports: 3389, from: 'CorpNetSaw' }],
  example: {
    use: { kind: 'domainServices', name: SERVICES.domainServices.name, document: SERVICES.domainServices.document, recognisedBy: 'Entra Domain Services' },
    subnetPrefixes: ['10.0.3.0/24'],
    listenerPorts: { public: [], private: [] },
  },
};
