/**
 * Which attachment points are hosts a person logs in to. A private endpoint's NIC is not a VM:
 * it is never a Bastion target nor an SSH/RDP host (DESIGN §4), whatever its subnet's NSG says.
 */
import type { EffectivePoint, EstateView } from '../../verdicts/view.js';

export function isPrivateEndpoint(point: EffectivePoint): boolean {
  return point.point.privateEndpoint !== undefined;
}

/** NIC points that can be VMs, and scale sets' profiles (standing for their instances). */
export function vmPoints(view: EstateView): EffectivePoint[] {
  return view.points().filter((p) => (p.point.kind === 'networkInterface' || p.point.kind === 'scaleSet') && !isPrivateEndpoint(p));
}

/** Every point but private endpoints' NICs: where SSH and RDP are judged. */
export function loginHostPoints(view: EstateView): EffectivePoint[] {
  return view.points().filter((p) => !isPrivateEndpoint(p));
}
