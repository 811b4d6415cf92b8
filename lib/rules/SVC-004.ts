import { domainServices } from './services/domain-services.js';
import { bicepRule } from './support/remediation.js';
import { serviceRule } from './support/service-rule.js';

export const rule = serviceRule(
  {
    id: 'SVC-004',
    title: 'An Entra Domain Services subnet NSG blocks a flow the managed domain requires',
    severity: 'high',
    description:
      'For the NSG at the subnet of a Microsoft Entra Domain Services managed domain (its replica sets, or a delegation to Microsoft.AAD/DomainServices), asks the required flows of the documentation: inbound TCP 5986 from AzureActiveDirectoryDomainServices, and outbound TCP 443 to AzureActiveDirectoryDomainServices, AzureMonitor, Storage, AzureActiveDirectory, AzureUpdateDelivery and GuestAndHybridManagement, and TCP 80 to AzureFrontDoor.FirstParty (the default outbound rules allow them all). RDP 3389 from CorpNetSaw is optional and not asked.',
    rationale:
      'Without port 5986 the managed domain cannot be updated, configured, backed up or monitored; a misconfigured NSG "may disrupt Microsoft\'s ability to service and manage the domain" and the SLA does not apply.',
    remediation: {
      az: 'az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name AllowPSRemoting --priority <priority> --direction Inbound --access Allow --protocol Tcp --source-address-prefixes AzureActiveDirectoryDomainServices --destination-address-prefixes "*" --destination-port-ranges 5986',
      bicep: bicepRule({ name: 'AllowPSRemoting', priority: '<priority>', direction: 'Inbound', access: 'Allow', protocol: 'Tcp', source: 'AzureActiveDirectoryDomainServices', destination: '*', ports: '5986', comment: 'Management of the managed domain' }),
    },
    references: [domainServices.document],
  },
  domainServices,
  'The NSG blocks a flow Microsoft Entra Domain Services requires',
);
