/**
 * One attachment point's effective policy (DESIGN §4): the NSGs that guard it, parsed, in the
 * context of its virtual network, its own addresses, and the notes the verdict there rests on.
 */
import { nameOfId, normalizeId } from '../arm/index.js';
import type { NetworkSecurityGroup } from '../estate/model.js';
import type { AttachmentPoint, NsgSlot, VirtualNetworkScope } from '../estate/relations.js';
import {
  addressesFromPrefixes,
  addressIsEmpty,
  assertNever,
  type AddressSet,
  type EvaluationContext,
  type Layer,
} from '../nsg/index.js';
import type { EffectivePoint, JudgedNsg, ParsedNsg } from './view.js';
import type { AdminAt } from './admin.js';

const ALL_IPS = addressesFromPrefixes(['0.0.0.0/0', '::/0']).set;

/** Points whose key is the same share analyses: same NSGs, same virtual network. */
export function effectivePointOf(
  point: AttachmentPoint,
  parse: (resource: NetworkSecurityGroup) => ParsedNsg,
  contextFor: (scope: VirtualNetworkScope) => { ctx: EvaluationContext; notes: string[] },
  problemsAt: (point: AttachmentPoint) => string[],
  adminAt: (scope: VirtualNetworkScope, ctx: EvaluationContext) => AdminAt,
): EffectivePoint {
  const { ctx, notes } = contextFor(point.virtualNetwork);
  const pointNotes = [...notes];
  const layers: { subnet?: Layer; nic?: Layer; admin?: Layer } = {};
  const nsgs: JudgedNsg[] = [];
  const unjudged = problemsAt(point);
  // Security admin rules come before both NSGs (DESIGN §3 "Composition").
  const admin = adminAt(point.virtualNetwork, ctx);
  if (admin.layer) layers.admin = admin.layer;
  pointNotes.push(...admin.notes);
  unjudged.push(...admin.unjudged);
  for (const side of ['subnet', 'nic'] as const) {
    const slot: NsgSlot = side === 'subnet' ? point.subnetNsg : point.nicNsg;
    const where = point.kind === 'unattached' ? 'the NSG' : side === 'subnet' ? 'the subnet' : point.kind === 'scaleSet' ? 'the scale set' : 'the NIC';
    switch (slot.state) {
      case 'none':
        break;
      case 'present': {
        const result = parse(slot.nsg);
        if (!result.ok) {
          unjudged.push(`NSG ${slot.nsg.name} failed validation`);
          break;
        }
        layers[side] = { nsg: result.value.nsg, ctx };
        nsgs.push(result.value);
        if (slot.nsg.partial) pointNotes.push(`NSG ${slot.nsg.name} was assembled from standalone rules: any other rules it has are unknown`);
        break;
      }
      case 'missing':
        pointNotes.push(`${where}'s NSG ${nameOfId(slot.id)} is not in the estate: judged without it`);
        break;
      case 'unknown':
        pointNotes.push(`whether ${where} has an NSG is not known (it is not in the estate): judged without it`);
        break;
      default:
        return assertNever(slot, 'NSG slot');
    }
  }
  const endpoint = point.privateEndpoint;
  if (endpoint?.subnetNsgApplies === false) {
    pointNotes.push(
      `${point.name} is the NIC of private endpoint ${endpoint.name}: its subnet's privateEndpointNetworkPolicies is ${endpoint.policies ?? 'Disabled'}, so the subnet's NSG does not filter it`,
    );
  } else if (endpoint && endpoint.subnetNsgApplies === undefined) {
    pointNotes.push(`${point.name} is the NIC of private endpoint ${endpoint.name}: its subnet is not in the estate, so whether the subnet's NSG filters it is not known`);
  }
  const local = localOf(point, pointNotes);
  const vnetKey = point.virtualNetwork.kind === 'known' ? point.virtualNetwork.key : '?';
  const pairKey = `${layers.subnet ? nsgKeyOf(layers.subnet) : '-'}|${layers.nic ? nsgKeyOf(layers.nic) : '-'}|${vnetKey}|${admin.key}`;
  return {
    point,
    key: `${point.kind}|${point.key}|${point.subnetId ? normalizeId(point.subnetId) : ''}`,
    layers,
    nsgs,
    ctx,
    local,
    pairKey,
    notes: [...new Set(pointNotes)],
    blocked: unjudged.length > 0,
    unjudged,
  };
}

export function nsgKeyOf(layer: Layer): string {
  return normalizeId(layer.nsg.id);
}

function localOf(point: AttachmentPoint, notes: string[]): AddressSet {
  const local = point.local;
  switch (local.kind) {
    case 'exact':
    case 'within': {
      const { set, invalid } = addressesFromPrefixes(local.kind === 'exact' ? local.addresses : local.prefixes);
      for (const bad of invalid) notes.push(`address '${bad}' of ${point.name} is not an IP or prefix; skipped`);
      if (!addressIsEmpty(set)) return set;
      notes.push(`the addresses of ${point.name} are not known: every address taken`);
      return ALL_IPS;
    }
    case 'unknown':
      if (point.kind !== 'unattached') notes.push(`the addresses of ${point.name} are not known: every address taken`);
      return ALL_IPS;
    default:
      return assertNever(local, 'local addresses');
  }
}
