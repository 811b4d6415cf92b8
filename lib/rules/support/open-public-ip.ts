/**
 * A Basic-SKU public IP on a NIC with no NSG on it or its subnet: every port of the VM is open to
 * the Internet. A Standard public IP is closed to inbound traffic unless an NSG allows it, so with
 * no NSG it admits nothing (https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses#sku:
 * Standard is "secure by default ... closed to inbound traffic"; Basic is "open by default", NSGs
 * "recommended but optional"). NSG-007 reports it: every TCP and UDP port is reachable.
 */
import { nameOfId } from '../../arm/index.js';
import { publicPathOf, type PublicIpEntry } from '../../estate/public-paths.js';
import { decidingRule, describeProtocolPorts, fillRemediation, findingOn } from '../../verdicts/describe.js';
import type { Finding, Remediation, Severity } from '../../verdicts/finding.js';
import type { EffectivePoint, EstateView } from '../../verdicts/view.js';
import { ALL_PORTS, internetExposure, portIsAll, toWitness, type FlowProtocol, type PortSet, type RuleRef, type WitnessFlow } from '../../nsg/index.js';

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
    // Which ports security admin rules close is not known: not judged.
    if (view.adminRules(p.virtualNetwork, point.ctx).unjudged.length > 0) continue;
    // Security admin rules still apply with no NSG: a Deny closes ports, an AlwaysAllow changes nothing here.
    const open = openPorts(point);
    if (open.tcp.length === 0 && open.udp.length === 0) continue;
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
          message: open.all
            ? `Every port of ${where} is open to the Internet through Basic public IP${address || ` ${entry.name}`}: neither the NIC nor its subnet has an NSG`
            : `${describeProtocolPorts(new Map([['Tcp', open.tcp], ['Udp', open.udp]].filter(([, ports]) => (ports as PortSet).length > 0) as [FlowProtocol, PortSet][]))} of ${where} are open to the Internet through Basic public IP${address || ` ${entry.name}`}: neither the NIC nor its subnet has an NSG (security admin rules deny the rest)`,
          evidence: {
            witness: open.witness ?? { direction: 'Inbound', protocol: 'Tcp', source: INTERNET_SOURCE, sourcePort: 49152, destination: local ?? entry.address ?? p.name, destinationPort: 3389 },
            ...(open.all ? {} : { decidedBy: open.decidedBy.map(decidingRule) }),
            attachments: [p.scaleSetId ?? p.id],
            ...(assumptions.length + point.notes.length > 0 ? { assumptions: [...assumptions, ...(point.layers.admin ? point.notes : [])] } : {}),
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

/** The TCP and UDP ports broad Internet sources reach at a point with no NSG: all, unless security admin rules deny some. */
function openPorts(point: EffectivePoint): { all: boolean; tcp: PortSet; udp: PortSet; witness?: WitnessFlow; decidedBy: RuleRef[] } {
  if (!point.layers.admin) return { all: true, tcp: ALL_PORTS, udp: ALL_PORTS, decidedBy: [] };
  const exposure = (protocol: 'Tcp' | 'Udp') => internetExposure(point.layers, { direction: 'Inbound', protocol, local: point.local });
  const tcp = exposure('Tcp');
  const udp = exposure('Udp');
  const all = portIsAll(tcp.broadPorts) && portIsAll(udp.broadPorts);
  const first = [...tcp.reach, ...udp.reach].find((r) => r.broad);
  return {
    all,
    tcp: tcp.broadPorts,
    udp: udp.broadPorts,
    ...(first ? { witness: toWitness(first.witness) } : {}),
    decidedBy: [...new Map([...tcp.reach, ...udp.reach].filter((r) => r.broad).flatMap((r) => r.decidedBy.flat()).map((ref) => [`${ref.nsg}|${ref.rule}`, ref])).values()],
  };
}
