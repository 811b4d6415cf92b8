/**
 * A flow addressed to a public address of a NIC's path (DESIGN §3 "Public path"), translated the
 * way Azure does before the NSGs see it: a public IP on the NIC maps to its private address, port
 * unchanged; a load-balancer frontend maps frontend port → backend port on the private address,
 * except with floating IP, where the NSG sees the frontend address and port. Pure.
 */
import { publicPathOf, describeEntry, type PublicEntry } from '../estate/public-paths.js';
import type { Estate } from '../estate/model.js';
import type { AttachmentPoint } from '../estate/relations.js';
import { parseIp, type Flow } from '../nsg/index.js';

export type Translation =
  /** The destination is not a public address of the path: the flow is asked as given. */
  | { kind: 'none' }
  | { kind: 'translated'; flow: Flow; through: PublicEntry; description: string }
  /** The destination is a public address of the path, but nothing there forwards this flow. */
  | { kind: 'unreachable'; reason: string };

export function translateInbound(estate: Estate, point: AttachmentPoint, flow: Flow): Translation {
  if (flow.direction !== 'Inbound') return { kind: 'none' };
  const path = publicPathOf(estate, point);
  if (path.state !== 'known') return { kind: 'none' };
  const atAddress = path.entries.filter((e) => e.address !== undefined && sameIp(e.address, flow.destinationIp));
  if (atAddress.length === 0) return { kind: 'none' };
  const privateIp = point.local.kind === 'exact' ? point.local.addresses.find((a) => parseIp(a)?.family === parseIp(flow.destinationIp)?.family) : undefined;
  const port = flow.destinationPort;
  const before = `${flow.destinationIp}${port === undefined ? '' : `:${port}`}`;
  for (const entry of atAddress) {
    if (entry.kind === 'publicIp') {
      if (!privateIp) return { kind: 'unreachable', reason: `the private address of ${point.name} is not known, so ${describeEntry(entry)} cannot be translated` };
      return { kind: 'translated', through: entry, flow: { ...flow, destinationIp: privateIp }, description: `${before} → ${privateIp}${port === undefined ? '' : `:${port}`} through ${describeEntry(entry)}` };
    }
    if (entry.kind === 'applicationGateway') {
      // The gateway terminates the connection on its listener port; the NSG of its subnet sees that port.
      if (flow.protocol !== 'Tcp' || port === undefined || !entry.listeners.some((l) => l.port === port)) continue;
      const to = privateIp ?? flow.destinationIp;
      return { kind: 'translated', through: entry, flow: { ...flow, destinationIp: to }, description: `${before} → the gateway's instances in ${point.name} through ${describeEntry(entry)}` };
    }
    if (flow.protocol !== 'Tcp' && flow.protocol !== 'Udp') continue;
    if (entry.protocol !== 'All' && entry.protocol !== flow.protocol) continue;
    if (port === undefined || port < entry.frontendPorts.from || port > entry.frontendPorts.to) continue;
    if (entry.floatingIp) {
      return { kind: 'translated', through: entry, flow, description: `${before} kept as the destination (floating IP) through ${describeEntry(entry)}` };
    }
    if (!privateIp) return { kind: 'unreachable', reason: `the private address of ${point.name} is not known, so ${describeEntry(entry)} cannot be translated` };
    const backendPort = entry.backendPort ?? port;
    return {
      kind: 'translated',
      through: entry,
      flow: { ...flow, destinationIp: privateIp, destinationPort: backendPort },
      description: `${before} → ${privateIp}:${backendPort} through ${describeEntry(entry)}`,
    };
  }
  return {
    kind: 'unreachable',
    reason: `nothing at ${flow.destinationIp} forwards ${flow.protocol.toUpperCase()}${port === undefined ? '' : ` ${port}`} to ${point.name}: ${atAddress.map(describeEntry).join('; ')}`,
  };
}

function sameIp(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  return x !== undefined && y !== undefined && x.family === y.family && x.value === y.value;
}
