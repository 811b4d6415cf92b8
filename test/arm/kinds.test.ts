import { describe, expect, it } from 'vitest';
import {
  armTypeOf,
  isTopLevel,
  kindOfId,
  kindOfType,
  parentKindOf,
  RESOURCE_KINDS,
  topLevelKindOf,
} from '../../lib/arm/index.js';

const RG = '/subscriptions/sub-1/resourceGroups/rg-1/providers';

describe('resource kinds', () => {
  it('every parent is a kind of the table, and its type is a prefix of the child type', () => {
    for (const kind of RESOURCE_KINDS) {
      const parent = parentKindOf(kind);
      if (parent === undefined) continue;
      expect(RESOURCE_KINDS).toContain(parent);
      expect(armTypeOf(kind).startsWith(`${armTypeOf(parent)}/`)).toBe(true);
    }
  });

  it('a type finds its kind in any casing, with trailing slashes', () => {
    for (const kind of RESOURCE_KINDS) {
      expect(kindOfType(armTypeOf(kind))).toBe(kind);
      expect(kindOfType(`${armTypeOf(kind).toUpperCase()}/`)).toBe(kind);
    }
    expect(kindOfType('Microsoft.Network/routeTables/routes/x')).toBeUndefined();
  });

  it.each([
    [`${RG}/Microsoft.Network/virtualNetworks/v/subnets/s`, 'subnet', 'virtualNetwork'],
    [`${RG}/Microsoft.Compute/virtualMachineScaleSets/aks-pool/virtualMachines/3/networkInterfaces/nic`, 'scaleSetNetworkInterface', 'virtualMachineScaleSet'],
    [
      `${RG}/microsoft.compute/VIRTUALMACHINESCALESETS/aks-pool/virtualMachines/3/networkInterfaces/nic/ipConfigurations/ipconfig1`,
      'scaleSetNetworkInterfaceIpConfiguration',
      'virtualMachineScaleSet',
    ],
    [`${RG}/Microsoft.Network/natGateways/n`, 'natGateway', 'natGateway'],
  ])('%s is a %s under a %s', (id, kind, top) => {
    const found = kindOfId(id);
    expect(found).toBe(kind);
    if (found === undefined) return;
    expect(topLevelKindOf(found)).toBe(top);
    expect(isTopLevel(topLevelKindOf(found))).toBe(true);
  });
});
