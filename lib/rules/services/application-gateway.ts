/**
 * Application Gateway's subnet NSG (https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure#network-security-groups):
 * "You must allow incoming Internet traffic on TCP ports 65503-65534 for the Application Gateway v1
 * SKU, and TCP ports 65200-65535 for the v2 SKU with the destination subnet as Any and source as
 * GatewayManager service tag"; "Outbound Internet connectivity can't be blocked"; "Traffic from the
 * AzureLoadBalancer tag with the destination subnet as Any must be allowed"; "Allow expected
 * inbound traffic to match your listener configuration".
 */
import { SERVICES } from '../../estate/services.js';
import type { FlowSetSpec } from '../../policy/model.js';
import type { ServiceContext, ServiceRequirements } from './types.js';

const MANAGEMENT_PORTS = { v1: '65503-65534', v2: '65200-65535' } as const;

function flows(context: ServiceContext): FlowSetSpec[] {
  const generation = context.use.generation;
  const out: FlowSetSpec[] = [];
  if (generation) {
    const ports = MANAGEMENT_PORTS[generation];
    out.push({ label: `inbound TCP ${ports} from GatewayManager (${generation} management)`, direction: 'inbound', protocol: 'tcp', ports, from: 'GatewayManager' });
  }
  out.push(
    { label: 'inbound TCP from AzureLoadBalancer', direction: 'inbound', protocol: 'tcp', from: 'AzureLoadBalancer' },
    { label: 'outbound to the Internet', direction: 'outbound', protocol: ['tcp', 'udp'], to: 'Internet' },
  );
  const { public: publicPorts, private: privatePorts } = context.listenerPorts;
  if (publicPorts.length > 0) {
    // Clients: some public addresses (the listener may be restricted to addresses the user chooses).
    out.push({ label: `inbound TCP ${publicPorts.join(',')} to the listeners from the Internet`, direction: 'inbound', protocol: 'tcp', ports: [...publicPorts], from: 'Internet', except: ['GatewayManager', 'AzureLoadBalancer'], when: 'some' });
  }
  if (privatePorts.length > 0) {
    out.push({ label: `inbound TCP ${privatePorts.join(',')} to the private listeners`, direction: 'inbound', protocol: 'tcp', ports: [...privatePorts], from: '*', except: ['AzureLoadBalancer'], when: 'some' });
  }
  return out;
}

export const applicationGateway: ServiceRequirements = {
  service: 'applicationGateway',
  document: SERVICES.applicationGateway.document,
  flows,
  prescribed: [],
  example: {
    use: { kind: 'applicationGateway', name: SERVICES.applicationGateway.name, document: SERVICES.applicationGateway.document, recognisedBy: 'an application gateway (Standard_v2)', generation: 'v2' },
    subnetPrefixes: ['10.0.0.0/24'],
    listenerPorts: { public: [443], private: [] },
  },
};
