import { describe, expect, it } from 'vitest';
import { isTopLevel, parseNetworkRef, subscriptionOf, topLevelRef } from '../../lib/arm/index.js';

const RG = '/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Network';

describe('parseNetworkRef', () => {
  it.each([
    [`${RG}/networkSecurityGroups/nsg1`, 'networkSecurityGroup', 'nsg1', undefined, 'Microsoft.Network/networkSecurityGroups'],
    [`${RG}/networkSecurityGroups/nsg1/securityRules/ssh`, 'securityRule', 'nsg1', 'ssh', 'Microsoft.Network/networkSecurityGroups/securityRules'],
    [`${RG}/networkSecurityGroups/nsg1/defaultSecurityRules/DenyAllInBound`, 'defaultSecurityRule', 'nsg1', 'DenyAllInBound', 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules'],
    [`${RG}/virtualNetworks/vnet1`, 'virtualNetwork', 'vnet1', undefined, 'Microsoft.Network/virtualNetworks'],
    [`${RG}/virtualNetworks/vnet1/subnets/AzureBastionSubnet`, 'subnet', 'vnet1', 'AzureBastionSubnet', 'Microsoft.Network/virtualNetworks/subnets'],
    [`${RG}/virtualNetworks/vnet1/virtualNetworkPeerings/to-hub`, 'virtualNetworkPeering', 'vnet1', 'to-hub', 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings'],
    [`${RG}/networkInterfaces/nic1`, 'networkInterface', 'nic1', undefined, 'Microsoft.Network/networkInterfaces'],
    [`${RG}/networkInterfaces/nic1/ipConfigurations/ipconfig1`, 'networkInterfaceIpConfiguration', 'nic1', 'ipconfig1', 'Microsoft.Network/networkInterfaces/ipConfigurations'],
    [`${RG}/natGateways/nat1`, 'natGateway', 'nat1', undefined, 'Microsoft.Network/natGateways'],
    [`${RG}/bastionHosts/bas1`, 'bastionHost', 'bas1', undefined, 'Microsoft.Network/bastionHosts'],
    [`${RG}/bastionHosts/bas1/bastionHostIpConfigurations/IpConf`, 'bastionHostIpConfiguration', 'bas1', 'IpConf', 'Microsoft.Network/bastionHosts/bastionHostIpConfigurations'],
    [`${RG}/applicationSecurityGroups/asg1`, 'applicationSecurityGroup', 'asg1', undefined, 'Microsoft.Network/applicationSecurityGroups'],
    // Case and a trailing slash do not matter; names keep their spelling.
    ['/SUBSCRIPTIONS/sub-1/RESOURCEGROUPS/Rg-1/PROVIDERS/microsoft.network/NETWORKSECURITYGROUPS/Nsg-A/', 'networkSecurityGroup', 'Nsg-A', undefined, 'Microsoft.Network/networkSecurityGroups'],
    ['/subscriptions/sub-1/resourcegroups/rg-1/providers/Microsoft.Network/virtualnetworks/v/SUBNETS/s', 'subnet', 'v', 's', 'Microsoft.Network/virtualNetworks/subnets'],
  ])('%s', (id, kind, name, childName, type) => {
    const parsed = parseNetworkRef(id);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.ref).toMatchObject({ kind, name, type, subscriptionId: 'sub-1' });
    expect(parsed.ref.childName).toBe(childName);
    expect(parsed.ref.id).toBe(id.replace(/\/$/, ''));
  });

  it.each([
    ['', /must start with/],
    ['subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/natGateways/n', /must start with/],
    ['/subscriptions/s', /resourceGroups/],
    ['/subscriptions/s/resourceGroups/rg', /providers/],
    ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm', /Microsoft\.Compute.*not Microsoft\.Network/],
    ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/ddosProtectionPlans/d', /ddosProtectionPlans' is not one nsgwatch reads/],
    ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups', /names no resource/],
    ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n/securityRules', /has no name/],
    ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n/flowLogs/f', /flowLogs' is not one/],
    ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s/extra/x', /beyond one child/],
    ['/subscriptions//resourceGroups/rg/providers/Microsoft.Network/natGateways/n', /empty segment/],
  ])('refuses %j', (id, message) => {
    const parsed = parseNetworkRef(id);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });
});

describe('topLevelRef and subscriptionOf', () => {
  it.each([
    [`${RG}/networkSecurityGroups/nsg1/securityRules/ssh`, `${RG}/networkSecurityGroups/nsg1`, 'networkSecurityGroup'],
    [`${RG}/virtualNetworks/vnet1/subnets/s1`, `${RG}/virtualNetworks/vnet1`, 'virtualNetwork'],
    [`${RG}/networkInterfaces/nic1/ipConfigurations/c`, `${RG}/networkInterfaces/nic1`, 'networkInterface'],
    [`${RG}/bastionHosts/b/bastionHostIpConfigurations/c`, `${RG}/bastionHosts/b`, 'bastionHost'],
    [`${RG}/natGateways/nat1`, `${RG}/natGateways/nat1`, 'natGateway'],
  ])('%s → %s', (id, topId, kind) => {
    const parsed = parseNetworkRef(id);
    if (!parsed.ok) throw new Error(parsed.error);
    const top = topLevelRef(parsed.ref);
    expect(top).toMatchObject({ id: topId, kind });
    expect(isTopLevel(top.kind)).toBe(true);
  });

  it.each([
    ['/subscriptions/AbC/providers/Microsoft.Network/networkSecurityGroups', 'AbC'],
    ['/SUBSCRIPTIONS/x-1/resourceGroups/rg', 'x-1'],
    ['/providers/Microsoft.Network/operations', undefined],
  ])('subscriptionOf(%s)', (path, expected) => {
    expect(subscriptionOf(path)).toBe(expected);
  });
});
