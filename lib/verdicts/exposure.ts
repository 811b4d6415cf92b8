/**
 * Exposed or latent (DESIGN §3 "Public path"): whether a flow the effective policy lets in from
 * the Internet can actually arrive, after the translation Azure does before NSGs see it. A public
 * IP on the IP configuration carries every port; a load-balancer rule, NAT rule or NAT pool
 * carries its protocol to its backend port (frontend port → backend port), and with floating IP
 * the NSG sees the frontend address and port, so that flow is evaluated again as the NSG sees it.
 * Latent findings are reported lower (see {@link latentSeverity}). Pure.
 */
import { publicPathOf, describeEntry, type PublicEntry } from '../estate/public-paths.js';
import { assertNever, evaluateComposed, parseIp, portContains, type Flow, type FlowProtocol, type PortSet } from '../nsg/index.js';
import type { Severity } from './finding.js';
import type { EffectivePoint, EstateView } from './view.js';

export type PathVerdict =
  /** A public path carries the flow: the entries that do. */
  | { state: 'exposed'; through: PublicEntry[]; notes: string[] }
  /** Allowed, but no public path carries it: exposed the moment one is added. */
  | { state: 'latent'; reason: string }
  /** The estate cannot tell the path: judged as exposed, with the reason. */
  | { state: 'assumed'; reason: string }
  /** An NSG associated with nothing: judged alone, as before. */
  | { state: 'unattached' };

/**
 * Latent exposure is reported two levels lower: critical → medium, high → low, medium and low →
 * info. The rule id stays; the message and the evidence say why.
 */
export function latentSeverity(severity: Severity): Severity {
  switch (severity) {
    case 'critical':
      return 'medium';
    case 'high':
      return 'low';
    case 'medium':
    case 'low':
    case 'info':
      return 'info';
    default:
      return assertNever(severity, 'severity');
  }
}

/** Does this entry carry `protocol` to one of `ports` (the ports the NSG lets in at the point)? */
function carries(entry: PublicEntry, protocol: FlowProtocol, ports: PortSet | null): boolean {
  switch (entry.kind) {
    case 'publicIp':
      return true;
    case 'loadBalancingRule':
    case 'inboundNatRule':
    case 'inboundNatPool': {
      // Load balancers forward TCP and UDP only.
      if (protocol !== 'Tcp' && protocol !== 'Udp') return false;
      if (entry.protocol !== 'All' && entry.protocol !== protocol) return false;
      if (entry.backendPort === undefined || ports === null) return true;
      // With floating IP the NSG sees the frontend port; otherwise the backend port.
      return entry.floatingIp ? portContains(ports, entry.frontendPorts.from) || portContains(ports, entry.backendPort) : portContains(ports, entry.backendPort);
    }
    case 'applicationGateway':
      // Listeners take TCP (HTTP, HTTPS, TLS, TCP); the NSG on the gateway's subnet sees the listener port.
      return protocol === 'Tcp' && (ports === null || entry.listeners.some((l) => portContains(ports, l.port)));
    default:
      return assertNever(entry, 'public entry');
  }
}

/**
 * The path verdict of a violation at one point: `protocol` and `ports` are what the policy lets
 * in there, `witness` one such flow (re-evaluated as the NSG sees it for floating-IP entries).
 */
export function pathVerdict(view: EstateView, point: EffectivePoint, protocol: FlowProtocol, ports: PortSet | null, witness: Flow): PathVerdict {
  const path = publicPathOf(view.estate, point.point);
  switch (path.state) {
    case 'unattached':
      return { state: 'unattached' };
    case 'unknown':
      return { state: 'assumed', reason: path.reason };
    case 'known': {
      const notes: string[] = [];
      const through = path.entries.filter((entry) => {
        if (!carries(entry, protocol, ports)) return false;
        if (entry.kind === 'publicIp' || entry.kind === 'applicationGateway' || !entry.floatingIp) return true;
        // Floating IP: the destination the NSG sees stays the frontend address.
        if (entry.address === undefined || !parseIp(entry.address)) {
          notes.push(`${describeEntry(entry)} uses floating IP and its address is not known: judged as if the NSG allowed it`);
          return true;
        }
        const seen: Flow = { ...witness, destinationIp: entry.address, ...(entry.frontendPorts.from > 0 ? { destinationPort: entry.frontendPorts.from } : {}) };
        return evaluateComposed(point.layers, seen).access === 'Allow';
      });
      if (through.length > 0) return { state: 'exposed', through, notes };
      const reason =
        path.entries.length === 0
          ? `no public path reaches ${point.point.name}: no public IP on it, no public load-balancer frontend sends traffic to it`
          : `no public path carries these flows to ${point.point.name}: it is reached only through ${path.entries.map(describeEntry).join('; ')}`;
      return { state: 'latent', reason };
    }
    default:
      return assertNever(path, 'public path');
  }
}

/** Words for a set of verdicts: the clause the message ends with, and the evidence. */
export interface PathSummary {
  state: 'exposed' | 'latent' | 'assumed' | 'unattached';
  clause: string;
  evidence: { state: string; through: string[]; latent: string[]; assumptions: string[] };
}

export function summarizePaths(verdicts: readonly { name: string; verdict: PathVerdict }[]): PathSummary {
  const through = new Set<string>();
  const entries = new Set<string>();
  const latent = new Set<string>();
  const assumptions = new Set<string>();
  let exposedAt: string | undefined;
  let assumedAt: string | undefined;
  for (const { name, verdict } of verdicts) {
    switch (verdict.state) {
      case 'exposed':
        exposedAt ??= name;
        for (const entry of verdict.through) {
          through.add(`${describeEntry(entry)} to ${name}`);
          entries.add(describeEntry(entry));
        }
        for (const note of verdict.notes) assumptions.add(note);
        break;
      case 'latent':
        latent.add(verdict.reason);
        break;
      case 'assumed':
        assumedAt ??= name;
        assumptions.add(`${verdict.reason}: judged as exposed`);
        break;
      case 'unattached':
        break;
      default:
        return assertNever(verdict, 'path verdict');
    }
  }
  const evidence = { through: [...through], latent: [...latent], assumptions: [...assumptions] };
  if (through.size > 0) {
    const [first] = entries;
    const more = entries.size > 1 ? ` and ${entries.size - 1} more public path${entries.size > 2 ? 's' : ''}` : '';
    return { state: 'exposed', clause: `, through ${first ?? ''}${more}`, evidence: { state: 'exposed', ...evidence } };
  }
  if (assumedAt !== undefined) return { state: 'assumed', clause: '', evidence: { state: 'assumed', ...evidence } };
  if (latent.size > 0) {
    return {
      state: 'latent',
      clause: '; no public path carries these flows yet (latent: exposed as soon as a public IP or load-balancer rule sends them there)',
      evidence: { state: 'latent', ...evidence },
    };
  }
  return { state: 'unattached', clause: '', evidence: { state: 'unattached', ...evidence } };
}
