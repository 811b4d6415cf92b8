/**
 * What failed validation, and what depended on it (issue 16): the attachment points a verdict
 * cannot be judged at, and the NSGs whose verdicts are held back, because input they need (their
 * subnet, NIC, IP configuration, network, peering, NAT gateway or Bastion) failed validation. Pure.
 */
import type { Estate } from '../estate/model.js';
import type { AttachmentPoint } from '../estate/relations.js';
import { normalizeId } from './finding.js';

export interface InvalidDependencies {
  /** Why verdicts at the point are not judged: input about the point itself that failed (empty: none). */
  problemsAt(point: AttachmentPoint): string[];
  /** NSGs at the point that failed the loader's validation (the engine's are found when parsing). */
  invalidNsgsAt(point: AttachmentPoint): string[];
  /** Why the NSG's verdicts are held back: input that names it (or may) failed validation. */
  failedNsgReasons(key: string): string[];
}

export function invalidDependencies(estate: Estate): InvalidDependencies {
  const invalid = estate.invalid ?? new Map<string, never>();
  const invalidChildren = new Map<string, string[]>();
  const namedByInvalid = new Map<string, string[]>();
  let unreadableReference: string | undefined;
  // A NAT gateway or Bastion that failed validation: which subnets it serves is unknown, so the
  // subnets it names are not judged (NAT-001, NAT-002), nor any network a Bastion serves (BAS-*).
  const subnetsNamedByInvalid = new Map<string, string>();
  const networksServedByInvalid = new Map<string, string>();
  for (const bad of invalid.values()) {
    const what = `${bad.kind} ${nameOfKey(bad.key)}`;
    // A NIC IP configuration that failed: the NIC's NSG and the subnet it names (any subnet's NSG,
    // when it names none that can be read) miss their verdict at that NIC.
    // A NIC that failed likewise (its own NSG is in nsgReferences).
    if ((bad.kind === 'networkInterfaceIpConfiguration' && bad.parentKey !== undefined) || bad.kind === 'networkInterface') {
      const nicNsg = bad.parentKey === undefined ? undefined : estate.networkInterfaces.get(bad.parentKey)?.networkSecurityGroup?.key;
      if (nicNsg !== undefined) namedByInvalid.set(nicNsg, [...(namedByInvalid.get(nicNsg) ?? []), what]);
      const subnets = bad.references.filter((ref) => ref.includes('/subnets/'));
      if (subnets.length === 0) unreadableReference ??= what;
      for (const ref of subnets) subnetsNamedByInvalid.set(ref, what);
    }
    // A Bastion's own subnet that failed: which networks the Bastion serves, and from where, is unknown.
    if (bad.kind === 'subnet' && bad.parentKey !== undefined && nameOfKey(bad.key) === 'azurebastionsubnet') networksServedByInvalid.set(bad.parentKey, what);
    if (bad.kind === 'bastionHost' && !bad.references.some((ref) => ref.includes('/subnets/'))) {
      // Its subnet cannot be read: it may be in any network with an AzureBastionSubnet.
      for (const subnet of estate.subnets.values()) {
        if (subnet.name.toLowerCase() === 'azurebastionsubnet') networksServedByInvalid.set(subnet.virtualNetwork.key, what);
      }
    }
    if (bad.kind === 'natGateway' || bad.kind === 'bastionHost') {
      for (const ref of bad.references) {
        if (!ref.includes('/subnets/') || ref === bad.key) continue;
        subnetsNamedByInvalid.set(ref, what);
        if (bad.kind === 'bastionHost') networksServedByInvalid.set(ref.slice(0, ref.indexOf('/subnets/')), what);
      }
    }
    if (bad.parentKey !== undefined) invalidChildren.set(bad.parentKey, [...(invalidChildren.get(bad.parentKey) ?? []), what]);
    // Any NSG its input names (a network's subnets', a NIC's) misses what it would have judged there.
    const namedNsgs = bad.references.filter((ref) => ref.includes('/providers/microsoft.network/networksecuritygroups/') && !ref.includes('/securityrules/') && ref !== bad.key);
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
    if (point.subnetId !== undefined && invalid.has(normalizeId(point.subnetId))) reasons.push(`subnet ${nameOfKey(point.subnetId)} failed validation`);
    // A subnet the estate lacks, in a network with a subnet that failed validation: it may be that one.
    if (point.subnetId !== undefined && !estate.subnets.has(normalizeId(point.subnetId)) && !invalid.has(normalizeId(point.subnetId))) {
      const key = normalizeId(point.subnetId);
      const at = key.lastIndexOf('/subnets/');
      const bad = at < 0 ? [] : (invalidChildren.get(key.slice(0, at)) ?? []).filter((what) => what.startsWith('subnet '));
      if (bad.length > 0) reasons.push(`subnet ${nameOfKey(point.subnetId)} is not in the estate, and ${bad[0] ?? ''} of its network failed validation`);
    }
    const namedBy = point.subnetId !== undefined ? subnetsNamedByInvalid.get(normalizeId(point.subnetId)) : undefined;
    if (namedBy !== undefined) reasons.push(`${namedBy}, which names subnet ${nameOfKey(point.subnetId ?? '')}, failed validation`);
    if (point.kind === 'networkInterface') {
      for (const what of invalidChildren.get(point.key) ?? []) reasons.push(`${what} of NIC ${point.name} failed validation`);
    }
    const scope = point.virtualNetwork;
    const vnetKey = scope.kind === 'known' ? scope.virtualNetwork.key : scope.virtualNetworkId !== undefined ? normalizeId(scope.virtualNetworkId) : undefined;
    const served = [vnetKey, ...(scope.kind === 'known' ? scope.peers.map((p) => p.key) : [])].flatMap((k) => {
      const by = k === undefined ? undefined : networksServedByInvalid.get(k);
      return by === undefined ? [] : [`${by}, which serves virtual network ${nameOfKey(k ?? '')}, failed validation`];
    });
    reasons.push(...served);
    // What a peered network brings (its address space, a Bastion that serves this one) is unknown too.
    if (scope.kind === 'known') {
      for (const peer of scope.peers) if (invalid.has(peer.key)) reasons.push(`peered virtual network ${nameOfKey(peer.key)} failed validation`);
    }
    if (vnetKey !== undefined) {
      if (invalid.has(vnetKey)) reasons.push(`virtual network ${nameOfKey(vnetKey)} failed validation`);
      for (const what of invalidChildren.get(vnetKey) ?? []) {
        if (what.startsWith('virtualNetworkPeering ')) reasons.push(`${what} of virtual network ${nameOfKey(vnetKey)} failed validation: VirtualNetwork is not known`);
      }
    }
    if (point.kind === 'unattached') reasons.push(...failedNsgReasons(point.key));
    return reasons;
  };
  /** NSGs at the point that failed the loader's validation (the engine's are found when parsing). */
  const invalidNsgsAt = (point: AttachmentPoint): string[] =>
    [point.subnetNsg, point.nicNsg].flatMap((slot) => (slot.state === 'missing' && invalid.has(slot.key) ? [`NSG ${nameOfKey(slot.key)} failed validation`] : []));

  return { problemsAt: dependencyProblems, invalidNsgsAt, failedNsgReasons };
}

function nameOfKey(key: string): string {
  return key.split('/').pop() ?? key;
}
