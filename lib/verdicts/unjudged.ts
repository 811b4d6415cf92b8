/**
 * What a verdict cannot rest on: input that failed validation, and everything that names it. A
 * point whose verdict needs such input is not judged, and says why; the NSGs, subnets and NICs
 * it leaves without a verdict are listed, so no finding resolves (or opens) on what was not read.
 */
import { kindOfId, nameOfId, normalizeId, parentId } from '../arm/index.js';
import type { Estate } from '../estate/model.js';
import type { AttachmentPoint } from '../estate/relations.js';
import type { EffectivePoint } from './view.js';

/** A wanted NSG, subnet or NIC whose verdict rests on input that failed validation, and why. */
export interface UnjudgedResource {
  id: string;
  kind: 'networkSecurityGroup' | 'subnet' | 'networkInterface';
  reasons: string[];
}

export interface InvalidInputs {
  /** Why a point is not judged: what it depends on that failed validation (empty when nothing). */
  problemsAt(point: AttachmentPoint): string[];
  /** Why an NSG's own verdicts are incomplete: input that names it failed validation. */
  failedNsgReasons(key: string): string[];
  /** The wanted resources left without a verdict by the points, and by what failed itself. */
  unjudged(points: readonly EffectivePoint[], wants: (key: string) => boolean): ReadonlyMap<string, UnjudgedResource>;
}

export function invalidInputs(estate: Estate): InvalidInputs {
  // Input that failed validation, and what named it: verdicts that need it are not judged.
  const invalid = estate.invalid ?? new Map<string, never>();
  const invalidChildren = new Map<string, string[]>();
  const namedByInvalid = new Map<string, string[]>();
  let unreadableReference: string | undefined;
  // A NAT gateway or Bastion that failed validation: which subnets it serves is unknown, so the
  // subnets it names are not judged (NAT-001, NAT-002), nor any network a Bastion serves (BAS-*).
  const subnetsNamedByInvalid = new Map<string, string>();
  const networksServedByInvalid = new Map<string, string>();
  for (const bad of invalid.values()) {
    const what = `${bad.kind} ${nameOfId(bad.key)}`;
    // A NIC IP configuration that failed: the NIC's NSG and the subnet it names (any subnet's NSG,
    // when it names none that can be read) miss their verdict at that NIC.
    // A NIC that failed likewise (its own NSG is in nsgReferences).
    if ((bad.kind === 'networkInterfaceIpConfiguration' && bad.parentKey !== undefined) || bad.kind === 'networkInterface') {
      const nicNsg = bad.parentKey === undefined ? undefined : estate.networkInterfaces.get(bad.parentKey)?.networkSecurityGroup?.key;
      if (nicNsg !== undefined) namedByInvalid.set(nicNsg, [...(namedByInvalid.get(nicNsg) ?? []), what]);
      const subnets = bad.references.filter(isSubnetId);
      if (subnets.length === 0) unreadableReference ??= what;
      for (const ref of subnets) subnetsNamedByInvalid.set(ref, what);
    }
    // A Bastion's own subnet that failed: which networks the Bastion serves, and from where, is unknown.
    if (bad.kind === 'subnet' && bad.parentKey !== undefined && nameOfId(bad.key) === 'azurebastionsubnet') networksServedByInvalid.set(bad.parentKey, what);
    if (bad.kind === 'bastionHost' && !bad.references.some(isSubnetId)) {
      // Its subnet cannot be read: it may be in any network with an AzureBastionSubnet.
      for (const subnet of estate.subnets.values()) {
        if (subnet.name.toLowerCase() === 'azurebastionsubnet') networksServedByInvalid.set(subnet.virtualNetwork.key, what);
      }
    }
    if (bad.kind === 'natGateway' || bad.kind === 'bastionHost') {
      for (const ref of bad.references) {
        if (!isSubnetId(ref) || ref === bad.key) continue;
        subnetsNamedByInvalid.set(ref, what);
        if (bad.kind === 'bastionHost') networksServedByInvalid.set(parentId(ref) ?? ref, what);
      }
    }
    if (bad.parentKey !== undefined) invalidChildren.set(bad.parentKey, [...(invalidChildren.get(bad.parentKey) ?? []), what]);
    // Any NSG its input names (a network's subnets', a NIC's) misses what it would have judged there.
    const namedNsgs = bad.references.filter((ref) => kindOfId(ref) === 'networkSecurityGroup' && ref !== bad.key);
    for (const nsgKey of [...new Set([...bad.nsgReferences, ...namedNsgs])]) {
      if (nsgKey === '*') unreadableReference ??= what;
      else namedByInvalid.set(nsgKey, [...(namedByInvalid.get(nsgKey) ?? []), what]);
    }
  }
  const failedNsgReasons = (key: string): string[] => [
    ...(namedByInvalid.get(key) ?? []).map((what) => `${what}, which names this NSG, failed validation`),
    ...(unreadableReference !== undefined ? [`${unreadableReference} failed validation and which NSG it names cannot be read`] : []),
  ];
  const dependencyProblems = (point: AttachmentPoint): string[] => {
    const reasons: string[] = [];
    if (invalid.has(point.key) && point.kind !== 'unattached') reasons.push(`${point.kind} ${point.name} failed validation`);
    if (point.subnetId !== undefined && invalid.has(normalizeId(point.subnetId))) reasons.push(`subnet ${nameOfId(point.subnetId)} failed validation`);
    // A subnet the estate lacks, in a network with a subnet that failed validation: it may be that one.
    if (point.subnetId !== undefined && !estate.subnets.has(normalizeId(point.subnetId)) && !invalid.has(normalizeId(point.subnetId))) {
      const key = normalizeId(point.subnetId);
      const at = key.lastIndexOf('/subnets/');
      const bad = at < 0 ? [] : (invalidChildren.get(key.slice(0, at)) ?? []).filter((what) => what.startsWith('subnet '));
      if (bad.length > 0) reasons.push(`subnet ${nameOfId(point.subnetId)} is not in the estate, and ${bad[0] ?? ''} of its network failed validation`);
    }
    const namedBy = point.subnetId !== undefined ? subnetsNamedByInvalid.get(normalizeId(point.subnetId)) : undefined;
    if (namedBy !== undefined) reasons.push(`${namedBy}, which names subnet ${nameOfId(point.subnetId ?? '')}, failed validation`);
    if (point.kind === 'networkInterface') {
      for (const what of invalidChildren.get(point.key) ?? []) reasons.push(`${what} of NIC ${point.name} failed validation`);
    }
    const scope = point.virtualNetwork;
    const vnetKey = scope.kind === 'known' ? scope.virtualNetwork.key : scope.virtualNetworkId !== undefined ? normalizeId(scope.virtualNetworkId) : undefined;
    const served = [vnetKey, ...(scope.kind === 'known' ? scope.peers.map((p) => p.key) : [])].flatMap((k) => {
      const by = k === undefined ? undefined : networksServedByInvalid.get(k);
      return by === undefined ? [] : [`${by}, which serves virtual network ${nameOfId(k ?? '')}, failed validation`];
    });
    reasons.push(...served);
    // What a peered network brings (its address space, a Bastion that serves this one) is unknown too.
    if (scope.kind === 'known') {
      for (const peer of scope.peers) if (invalid.has(peer.key)) reasons.push(`peered virtual network ${nameOfId(peer.key)} failed validation`);
    }
    if (vnetKey !== undefined) {
      if (invalid.has(vnetKey)) reasons.push(`virtual network ${nameOfId(vnetKey)} failed validation`);
      for (const what of invalidChildren.get(vnetKey) ?? []) {
        if (what.startsWith('virtualNetworkPeering ')) reasons.push(`${what} of virtual network ${nameOfId(vnetKey)} failed validation: VirtualNetwork is not known`);
      }
    }
    if (point.kind === 'unattached') reasons.push(...failedNsgReasons(point.key));
    return reasons;
  };
  /** NSGs at the point that failed the loader's validation (the engine's are found when parsing). */
  const invalidNsgsAt = (point: AttachmentPoint): string[] =>
    [point.subnetNsg, point.nicNsg].flatMap((slot) => (slot.state === 'missing' && invalid.has(slot.key) ? [`NSG ${nameOfId(slot.key)} failed validation`] : []));

  const unjudged = (points: readonly EffectivePoint[], wants: (key: string) => boolean): ReadonlyMap<string, UnjudgedResource> => {
    const out = new Map<string, UnjudgedResource>();
    const add = (key: string, id: string, kind: UnjudgedResource['kind'], reasons: readonly string[]): void => {
      if (!wants(key) || reasons.length === 0) return;
      const entry = out.get(key) ?? { id, kind, reasons: [] };
      entry.reasons = [...new Set([...entry.reasons, ...reasons])];
      out.set(key, entry);
    };
    for (const point of points) {
      if (!point.blocked) continue;
      const word = point.point.kind === 'subnet' ? 'subnet' : point.point.kind === 'scaleSet' ? 'scale set' : 'NIC';
      const where = point.point.kind === 'unattached' ? 'alone' : `at ${word} ${point.point.name}`;
      // A subnet's or NIC's own verdicts (NSG-010, NSG-011, NAT-001) rest on its associations, not on
      // the NSGs' rules: only input about the point itself leaves them unjudged.
      const structural = dependencyProblems(point.point);
      if (point.point.kind === 'networkInterface') add(point.point.key, point.point.id, 'networkInterface', structural);
      if (point.point.kind === 'subnet') add(point.point.key, point.point.id, 'subnet', structural);
      if (point.point.subnetId !== undefined && point.point.kind === 'networkInterface') {
        add(normalizeId(point.point.subnetId), point.point.subnetId, 'subnet', structural.map((r) => `NIC ${point.point.name}: ${r}`));
      }
      for (const slot of [point.point.subnetNsg, point.point.nicNsg]) {
        if (slot.state !== 'present') continue;
        const own = failedNsgReasons(slot.key);
        add(slot.key, slot.id, 'networkSecurityGroup', point.unjudged.filter((r) => !own.includes(r)).map((r) => `${where}: ${r}`));
      }
    }
    // The subnets and NICs that failed validation are attachment points nothing was judged at.
    for (const bad of invalid.values()) {
      if (bad.kind === 'subnet' || bad.kind === 'networkInterface') add(bad.key, bad.key, bad.kind, ['it failed validation (see the errors)']);
      if (bad.kind === 'networkInterfaceIpConfiguration' && bad.parentKey !== undefined) {
        add(bad.parentKey, bad.parentKey, 'networkInterface', [`${bad.kind} ${nameOfId(bad.key)} failed validation`]);
      }
    }
    for (const resource of estate.networkSecurityGroups.values()) add(resource.key, resource.id, 'networkSecurityGroup', failedNsgReasons(resource.key));
    return out;
  };

  return {
    problemsAt: (point) => [...dependencyProblems(point), ...invalidNsgsAt(point)],
    failedNsgReasons,
    unjudged,
  };
}

function isSubnetId(id: string): boolean {
  return kindOfId(id) === 'subnet';
}
