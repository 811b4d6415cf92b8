import { describe, expect, it } from 'vitest';
import {
  childId,
  nameOfId,
  normalizeId,
  parentId,
  parseResourceId,
  topLevelId,
  topLevelKey,
} from '../../lib/arm/index.js';

const RG = '/subscriptions/Sub-1/resourceGroups/Rg-1/providers';
const VMSS_NIC = `${RG}/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-123/virtualMachines/0/networkInterfaces/aks-nic`;

describe('ARM ids', () => {
  it.each([
    [`${RG}/Microsoft.Network/virtualNetworks/v/subnets/s/`, `${RG}/Microsoft.Network/virtualNetworks/v/subnets/s`.toLowerCase()],
    ['  /subscriptions/A//  ', '/subscriptions/a'],
  ])('normalizeId(%j)', (id, expected) => {
    expect(normalizeId(id)).toBe(expected);
  });

  it.each([
    [`${RG}/Microsoft.Network/virtualNetworks/v/subnets/s`, 's', `${RG}/Microsoft.Network/virtualNetworks/v`, `${RG}/Microsoft.Network/virtualNetworks/v`],
    [`${RG}/Microsoft.Network/networkSecurityGroups/nsg`, 'nsg', undefined, `${RG}/Microsoft.Network/networkSecurityGroups/nsg`],
    [VMSS_NIC, 'aks-nic', `${RG}/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-123/virtualMachines/0`, `${RG}/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-123`],
    [
      `${RG}/Microsoft.Network/networkSecurityGroups/web/providers/Microsoft.Insights/diagnosticSettings/d`,
      'd',
      undefined,
      `${RG}/Microsoft.Network/networkSecurityGroups/web`,
    ],
  ])('%s: name, parent, top-level resource', (id, name, parent, top) => {
    expect(nameOfId(id)).toBe(name);
    expect(parentId(id)).toBe(parent);
    expect(topLevelId(id)).toBe(top);
    expect(topLevelKey(id)).toBe(top.toLowerCase());
  });

  it('a scale-set instance NIC parses with its scale set, instance and NIC names', () => {
    expect(parseResourceId(VMSS_NIC)).toMatchObject({
      subscriptionId: 'Sub-1',
      resourceGroup: 'Rg-1',
      resourceType: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/networkInterfaces',
      names: ['aks-nodepool1-123', '0', 'aks-nic'],
    });
  });

  it.each(['', 'nsg-1', '/subscriptions/s', '/subscriptions/s/resourceGroups/g', '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/x'])(
    '%j is not a resource id: its name is itself and it has no parent',
    (id) => {
      expect(parseResourceId(id)).toBeUndefined();
      expect(nameOfId(id)).toBe(id);
      expect(parentId(id)).toBeUndefined();
    },
  );

  it('childId appends a child the way ARM spells it', () => {
    expect(childId(`${RG}/Microsoft.Network/virtualNetworks/v/`, 'subnets', 's')).toBe(`${RG}/Microsoft.Network/virtualNetworks/v/subnets/s`);
  });
});
