/**
 * A Basic-SKU public IP on a NIC with no NSG on it or its subnet: every port of the VM is open to
 * the Internet. A Standard public IP is closed to inbound traffic unless an NSG allows it, so with
 * no NSG it admits nothing (https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses#sku:
 * Standard is "secure by default ... closed to inbound traffic"; Basic is "open by default", NSGs
 * "recommended but optional"). NSG-007 reports it: every TCP and UDP port is reachable.
 */
import { nameOfId } from '../../arm/index.js';
import { publicPathOf, type PublicIpEntry } from '../../estate/public-paths.js';
import { fillRemediation, findingOn } from '../../verdicts/describe.js';
import type { Finding, Remediation, Severity } from '../../verdicts/finding.js';
import type { EstateView } from '../../verdicts/view.js';

/** A documentation address (RFC 5737) standing for any Internet source in the witness. */
const INTERNET_SOURCE = '198.51.100.7';

export function openBasicPublicIps(view: EstateView, meta: { id: string; severity: Severity; title: string; remediation: Remediation }): Finding[] {
  const findings: Finding[] = [];
  for (const point of view.points()) {
    const p = point.point;
    if (p.kind !== 'networkInterface' && p.kind !== 'scaleSet') continue;
    // Only where it is known that no NSG guards either side.
    if (p.subnetNsg.state !== 'none' || p.nicNsg.state !== 'none') continue;
    const path = publicPathOf(view.estate, p);
    if (path.state !== 'known') continue;
    for (const entry of path.entries) {
      if (entry.kind !== 'publicIp' || entry.sku === 'Standard') continue;
      const resource = publicIpResource(entry, p.scaleSetId ?? p.id);
      if (!view.wants(p.key) && !view.wants(resource.id.toLowerCase())) continue;
      const where = p.kind === 'scaleSet' || p.scaleSetId !== undefined ? `scale set ${nameOfId(p.scaleSetId ?? p.id)}` : `NIC ${p.name}`;
      const address = entry.address ? ` ${entry.address}` : '';
      const assumptions = entry.sku === undefined ? [`the SKU of public IP ${entry.name} is not known${entry.inEstate ? '' : ' (it is not in the estate)'}: judged as Basic, which is open without an NSG`] : [];
      const local = p.local.kind === 'exact' ? p.local.addresses[0] : undefined;
      findings.push(
        findingOn(meta, resource, {
          scope: p.key,
          message: `Every port of ${where} is open to the Internet through Basic public IP${address || ` ${entry.name}`}: neither the NIC nor its subnet has an NSG`,
          evidence: {
            witness: { direction: 'Inbound', protocol: 'Tcp', source: INTERNET_SOURCE, sourcePort: 49152, destination: local ?? entry.address ?? p.name, destinationPort: 3389 },
            attachments: [p.scaleSetId ?? p.id],
            ...(assumptions.length > 0 ? { assumptions } : {}),
            publicPath: { state: 'exposed', through: [`public IP${address} (${entry.name}, SKU ${entry.sku ?? 'unknown'}) to ${p.name}`], latent: [], assumptions },
          },
          remediation: fillRemediation(
            {
              az: 'az network nic update --resource-group <resource-group> --name <nic-name> --network-security-group <nsg-name>  # and upgrade the public IP: az network public-ip update --sku Standard',
              bicep: meta.remediation.bicep,
            },
            { ...(p.subnetId ? { subnetId: p.subnetId } : {}), ...(p.kind === 'networkInterface' ? { nicId: p.id } : {}) },
          ),
        }),
      );
    }
  }
  return findings;
}

function publicIpResource(entry: PublicIpEntry, holder: string): { id: string; name: string } {
  if (entry.publicIpId !== undefined) return { id: entry.publicIpId, name: entry.name };
  // A scale set's per-instance public IPs have no resource of their own in the estate: report on the scale set.
  return { id: holder, name: nameOfId(holder) };
}
