/**
 * Network groups of subnets and security admin rules. Azure applies security admin rules at the
 * virtual network level, to the virtual networks of the groups a rule collection targets
 * (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins: "Security
 * admin rules are currently applied at the virtual network level"); groups of subnets
 * (`memberType: Subnet`) serve routing configurations
 * (https://learn.microsoft.com/azure/virtual-network-manager/concept-user-defined-route). So a rule
 * collection naming a subnet group, or a static member that is a subnet, is rejected with a warning
 * that names the group and the field, and carries no admin rule; the network is judged without it.
 */
import { describe, expect, it } from 'vitest';
import { loadEstate, type EstateDocument } from '../../lib/estate/load.js';
import { evaluateEstate } from '../../lib/rules/index.js';
import { ids, nic, nsg, publicIp, vnet, type Json } from '../rules/fixtures/build.js';
import { adminIds, deploymentStatus, networkManager, type ManagerSpec } from '../support/network-manager.js';

const SUBNET = `${ids.vnet('vnet-app')}/subnets/snet-vm`;

function resources(): Json[] {
  return [
    vnet('vnet-app', ['10.0.0.0/16'], [{ name: 'snet-vm', prefix: '10.0.1.0/24', nsg: 'nsg-vm' }]),
    nsg('nsg-vm', [{ name: 'allow-ssh', priority: 100, source: '*', ports: '22' }]),
    nic('nic-vm', { vnet: 'vnet-app', subnet: 'snet-vm', ip: '10.0.1.4', publicIp: 'pip-vm' }),
    publicIp('pip-vm', '20.50.1.4', 'Standard', `${ids.nic('nic-vm')}/ipConfigurations/ipconfig1`),
  ];
}

/** A Deny of SSH from the Internet, committed to westeurope, for the group `group` holding `members`. */
function estateWith(group: string, memberType: 'Subnet' | 'VirtualNetwork', members: string[]) {
  const spec: ManagerSpec = {
    collections: [{ name: 'guardrails', groups: [group], rules: [{ name: 'deny-ssh', priority: 10, access: 'Deny', sources: ['Internet'], ports: ['22'] }] }],
    members: { [group]: members },
    committedTo: ['westeurope'],
  };
  const manager = networkManager(spec).map((r) => (r['id'] === adminIds.group(group) ? { ...r, properties: { memberType } } : r));
  const documents: EstateDocument[] = [
    { source: 'estate.json', json: { value: resources() } },
    { source: 'network-manager.json', json: { value: manager } },
    { source: 'deployment-status.json', json: deploymentStatus(spec) },
  ];
  return loadEstate(documents);
}

const sshExposed = (output: ReturnType<typeof evaluateEstate>) => output.findings.filter((f) => f.ruleId === 'NSG-002').map((f) => f.resourceName);

describe('security admin rules and network groups of subnets', () => {
  it('the control: a virtual network group carries the Deny, SSH from the Internet is not exposed', () => {
    const output = evaluateEstate(estateWith('vnets', 'VirtualNetwork', [ids.vnet('vnet-app')]));
    expect(output.errors).toEqual([]);
    expect(sshExposed(output)).toEqual([]);
  });

  it('a rule collection targeting a memberType Subnet group: rejected, named by group and field; the Deny is not applied', () => {
    const output = evaluateEstate(estateWith('subnets', 'Subnet', [SUBNET]));
    expect(sshExposed(output)).toEqual(['nsg-vm']);
    expect(output.judged).toContain(ids.nsg('nsg-vm').toLowerCase());
    const collection = output.errors.find((e) => e.resourceId === adminIds.collection('secadmin', 'guardrails'));
    expect(collection?.field).toBe('appliesToGroups[0].networkGroupId');
    expect(collection?.message).toMatch(/network group subnets, whose memberType is Subnet: security admin rules apply to virtual networks only/);
    const member = output.errors.find((e) => e.resourceId === `${adminIds.group('subnets')}/staticMembers/snet-vm`);
    expect(member?.field).toBe('resourceId');
    expect(member?.message).toMatch(/network group subnets has subnet .*snet-vm as a static member/);
  });

  it('a subnet as a static member of a virtual network group: that membership is rejected, the group still carries its networks', () => {
    const output = evaluateEstate(estateWith('mixed', 'VirtualNetwork', [SUBNET]));
    expect(sshExposed(output)).toEqual(['nsg-vm']);
    expect(output.errors.map((e) => [e.resourceId, e.field])).toEqual([[`${adminIds.group('mixed')}/staticMembers/snet-vm`, 'resourceId']]);
    const both = evaluateEstate(estateWith('mixed', 'VirtualNetwork', [SUBNET, ids.vnet('vnet-app')]));
    expect(sshExposed(both)).toEqual([]);
    expect(both.errors.map((e) => e.field)).toEqual(['resourceId']);
  });
});
