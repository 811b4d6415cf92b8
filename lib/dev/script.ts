/**
 * The demo's scripted series of changes to the sample estate: each step edits the working estate
 * files (what a person does in the portal) and announces the change as Event Grid would.
 */
import { childNamed, childrenOf, editResource, propertiesOf, removeChild } from './estate-files.js';
import type { DemoActor, DemoOperation } from './events.js';

export const DEMO_SUBSCRIPTION = '0b5e7a1c-9d2f-4e6b-8a3c-1f2d3e4c5b6a';
export const DEMO_TENANT = 'a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const GROUP = `/subscriptions/${DEMO_SUBSCRIPTION}/resourceGroups/rg-nsgwatch-demo/providers/Microsoft.Network`;

export const demoIds = {
  nsg: (name: string): string => `${GROUP}/networkSecurityGroups/${name}`,
  rule: (nsg: string, rule: string): string => `${GROUP}/networkSecurityGroups/${nsg}/securityRules/${rule}`,
  vnet: (name: string): string => `${GROUP}/virtualNetworks/${name}`,
  subnet: (vnet: string, subnet: string): string => `${GROUP}/virtualNetworks/${vnet}/subnets/${subnet}`,
};

export const DEMO_ACTORS = {
  dana: { name: 'Dana Whitfield', upn: 'dana.whitfield@contoso.com', objectId: '5b0c2f1e-7d4a-4c3b-9e8f-1a2b3c4d5e6f' },
  sam: { name: 'Sam Okafor', upn: 'sam.okafor@contoso.com', objectId: '9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4' },
} as const satisfies Record<string, DemoActor>;

/** How a step's events travel: Event Grid schema arrays, one CloudEvent, or a CloudEvents batch. */
export type DeliverySchema = 'eventGrid' | 'cloudEvents' | 'cloudEventsBatch';

export interface AnnouncedChange {
  resourceId: string;
  operation: DemoOperation;
}

export interface ScriptStep {
  title: string;
  /** What the step should show, for the person watching. */
  expect: string;
  actor: DemoActor;
  schema: DeliverySchema;
  /** Edit the working estate in `dir`; returns the changes Azure would announce. */
  apply(dir: string): Promise<AnnouncedChange[]>;
}

function rule(name: string, properties: Record<string, unknown>, nsg: string): Record<string, unknown> {
  return { name, id: demoIds.rule(nsg, name), type: 'Microsoft.Network/networkSecurityGroups/securityRules', properties };
}

const SSH_RULE = 'AllowSshFromInternet';
const sshFromInternet = (nsg: string, priority: number): Record<string, unknown> =>
  rule(SSH_RULE, {
    description: 'Temporary: vendor troubleshooting',
    priority,
    direction: 'Inbound',
    access: 'Allow',
    protocol: 'Tcp',
    sourcePortRange: '*',
    sourceAddressPrefix: 'Internet',
    destinationAddressPrefix: '*',
    destinationPortRange: '22',
  }, nsg);

export const DEMO_SCRIPT: readonly ScriptStep[] = [
  {
    title: 'SSH opened from the Internet on the app tier (nsg-app, and nsg-vm-app on its VM)',
    expect: 'NSG-002 opens: SSH reachable from the Internet',
    actor: DEMO_ACTORS.dana,
    schema: 'eventGrid',
    async apply(dir) {
      // The VM's own NSG would still block SSH, so the change opens both layers, as people do.
      await editResource(dir, demoIds.nsg('nsg-app'), (nsg) => void childrenOf(nsg, 'securityRules').push(sshFromInternet('nsg-app', 105)));
      await editResource(dir, demoIds.nsg('nsg-vm-app'), (nsg) => void childrenOf(nsg, 'securityRules').push(sshFromInternet('nsg-vm-app', 105)));
      return [
        { resourceId: demoIds.rule('nsg-app', SSH_RULE), operation: 'write' },
        { resourceId: demoIds.rule('nsg-vm-app', SSH_RULE), operation: 'write' },
      ];
    },
  },
  {
    title: "The NAT gateway subnet snet-egress loses its NSG (nsg-egress detached)",
    expect: 'NAT-001 opens: a NAT-gateway subnet without an NSG',
    actor: DEMO_ACTORS.sam,
    schema: 'cloudEvents',
    async apply(dir) {
      await editResource(dir, demoIds.vnet('vnet-spoke-data'), (vnet) => {
        delete propertiesOf(childNamed(vnet, 'subnets', 'snet-egress'))['networkSecurityGroup'];
      });
      return [{ resourceId: demoIds.subnet('vnet-spoke-data', 'snet-egress'), operation: 'write' }];
    },
  },
  {
    title: 'The SSH rule is deleted from nsg-app',
    expect: 'NSG-002 resolves: the subnet NSG blocks SSH again',
    actor: DEMO_ACTORS.dana,
    schema: 'eventGrid',
    async apply(dir) {
      await editResource(dir, demoIds.nsg('nsg-app'), (nsg) => removeChild(nsg, 'securityRules', SSH_RULE));
      return [{ resourceId: demoIds.rule('nsg-app', SSH_RULE), operation: 'delete' }];
    },
  },
  {
    title: 'The Bastion subnet NSG is "tightened": its Internet and GatewayManager 443 rules are deleted',
    expect: 'BAS-001 opens: Azure Bastion needs 443 from GatewayManager (two deletes, one evaluation)',
    actor: DEMO_ACTORS.sam,
    schema: 'cloudEventsBatch',
    async apply(dir) {
      // Either rule alone still lets GatewayManager in (Internet holds it); both gone, Bastion breaks.
      const removed = ['AllowHttpsInbound', 'AllowGatewayManagerInbound'];
      await editResource(dir, demoIds.nsg('nsg-bastion'), (nsg) => {
        for (const name of removed) removeChild(nsg, 'securityRules', name);
      });
      return removed.map((name) => ({ resourceId: demoIds.rule('nsg-bastion', name), operation: 'delete' as const }));
    },
  },
  {
    title: "nsg-db's partner rule is narrowed to the partner's own range",
    expect: 'NSG-005 resolves: SQL is no longer open to the whole Internet',
    actor: DEMO_ACTORS.dana,
    schema: 'eventGrid',
    async apply(dir) {
      await editResource(dir, demoIds.nsg('nsg-db'), (nsg) => {
        const properties = propertiesOf(childNamed(nsg, 'securityRules', 'AllowSqlFromPartners'));
        properties['sourceAddressPrefixes'] = ['198.51.100.0/24'];
        properties['description'] = 'Partner access (partner egress range only)';
      });
      return [{ resourceId: demoIds.rule('nsg-db', 'AllowSqlFromPartners'), operation: 'write' }];
    },
  },
  {
    title: 'nsg-egress is attached to snet-egress again',
    expect: 'NAT-001 resolves: egress through the NAT gateway is restricted again',
    actor: DEMO_ACTORS.sam,
    schema: 'cloudEvents',
    async apply(dir) {
      await editResource(dir, demoIds.vnet('vnet-spoke-data'), (vnet) => {
        propertiesOf(childNamed(vnet, 'subnets', 'snet-egress'))['networkSecurityGroup'] = { id: demoIds.nsg('nsg-egress') };
      });
      return [{ resourceId: demoIds.subnet('vnet-spoke-data', 'snet-egress'), operation: 'write' }];
    },
  },
];
