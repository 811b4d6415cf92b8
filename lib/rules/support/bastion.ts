/** What BAS-002 and BAS-003 share: the VM subnets a Bastion serves and its subnet's range. */
import { subnetRole, type BastionCoverage } from '../../estate/relations.js';
import type { Finding } from '../../verdicts/finding.js';
import type { EffectivePoint, EstateView } from '../../verdicts/view.js';

/** NICs (VMs) and scale sets in a workload subnet of one of these virtual networks. */
export function isVmInServedNetwork(point: EffectivePoint, served: ReadonlySet<string>): boolean {
  const subnet = point.point.subnet;
  return isVmPoint(point) && subnet !== undefined && subnetRole(subnet.name) === 'workload' && served.has(subnet.virtualNetwork.key);
}

/** A point that stands for VMs: a NIC, or a scale set's profile (its instances). */
export function isVmPoint(point: EffectivePoint): boolean {
  return point.point.kind === 'networkInterface' || point.point.kind === 'scaleSet';
}

/** Bastions whose AzureBastionSubnet range is known (the rules need it as a flow source). */
export function bastionsWithRange(view: EstateView): (BastionCoverage & { subnetPrefixes: string[] })[] {
  return view.relations.bastions.filter((b): b is BastionCoverage & { subnetPrefixes: string[] } => (b.subnetPrefixes?.length ?? 0) > 0);
}

/** Findings of several passes (one per Bastion) merged by fingerprint: attachments joined. */
export function mergeFindings(findings: readonly Finding[]): Finding[] {
  const merged = new Map<string, Finding>();
  for (const finding of findings) {
    const seen = merged.get(finding.fingerprint);
    if (!seen) {
      merged.set(finding.fingerprint, finding);
      continue;
    }
    const attachments = [...new Set([...(seen.evidence.attachments ?? []), ...(finding.evidence.attachments ?? [])])];
    merged.set(finding.fingerprint, { ...seen, evidence: { ...seen.evidence, attachments } });
  }
  return [...merged.values()];
}
