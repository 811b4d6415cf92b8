import { applicationGateway } from './services/application-gateway.js';
import { bicepRule } from './support/remediation.js';
import { serviceRule } from './support/service-rule.js';

export const rule = serviceRule(
  {
    id: 'SVC-001',
    title: 'An Application Gateway subnet NSG blocks a flow the gateway requires',
    severity: 'high',
    description:
      'For the NSG(s) at an Application Gateway\'s subnet (recognised from the gateway\'s gateway IP configurations), asks each flow the Application Gateway documentation requires as a flow question on the exact engine: inbound TCP 65200-65535 from all of GatewayManager for the v2 SKU (65503-65534 for v1; not asked when the SKU is not in the estate), inbound TCP from AzureLoadBalancer, every outbound flow to the Internet ("outbound Internet connectivity can\'t be blocked"), and inbound TCP on the listeners\' ports from at least some public addresses (public frontends) or some addresses (private frontends). Each blocked flow is reported with the rule that blocks it; the remediation is the rule to add before it.',
    rationale:
      'The gateway\'s infrastructure ports carry Azure\'s management and backend health traffic: when an NSG blocks them, or blocks outbound Internet connectivity, the gateway stops being managed, its backend health turns unknown and updates fail; a listener whose port the NSG blocks serves no one.',
    remediation: {
      az: 'az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name AllowGatewayManager --priority <priority> --direction Inbound --access Allow --protocol Tcp --source-address-prefixes GatewayManager --destination-address-prefixes "*" --destination-port-ranges 65200-65535',
      bicep: bicepRule({ name: 'AllowGatewayManager', priority: '<priority>', direction: 'Inbound', access: 'Allow', protocol: 'Tcp', source: 'GatewayManager', destination: '*', ports: '65200-65535', comment: 'Application Gateway v2 infrastructure ports (v1: 65503-65534)' }),
    },
    references: [applicationGateway.document],
  },
  applicationGateway,
  'The NSG blocks a flow Azure Application Gateway requires',
);
