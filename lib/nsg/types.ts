/**
 * The data types of the evaluation engine. Pure data: every function that works on them lives in
 * its own module and is re-exported from ./index.js.
 */

export type Direction = 'Inbound' | 'Outbound';
export type Access = 'Allow' | 'Deny';
/** The protocol of a concrete flow. */
export type FlowProtocol = 'Tcp' | 'Udp' | 'Icmp' | 'Esp' | 'Ah';
/** The protocol a rule names; `*` matches every flow protocol. */
export type RuleProtocol = FlowProtocol | '*';
export const FLOW_PROTOCOLS: readonly FlowProtocol[] = ['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah'];
export const DIRECTIONS: readonly Direction[] = ['Inbound', 'Outbound'];

/**
 * A set of ports 0–65535 as sorted, disjoint, non-adjacent inclusive ranges, flattened:
 * `[from0, to0, from1, to1, ...]`.
 */
export type PortSet = readonly number[];

/**
 * Unresolved service tags (lower-case names) an address set holds: the listed ones, or — when
 * `complement` — every unresolved tag except the listed ones (what `*`, Any and Internet hold).
 */
export interface TagSet {
  readonly complement: boolean;
  readonly names: readonly string[];
}

/**
 * An exact set of addresses: IPv4 as numbers, IPv6 as bigints, each as sorted disjoint
 * non-adjacent inclusive intervals flattened `[lo0, hi0, lo1, hi1, ...]`, plus the symbolic
 * atoms of service tags that have no address data (DESIGN §3).
 */
export interface AddressSet {
  readonly v4: readonly number[];
  readonly v6: readonly bigint[];
  readonly tags: TagSet;
}

/** How many addresses a set holds, per family, and which unresolved tags. */
export interface AddressCount {
  readonly ipv4: number;
  readonly ipv6: bigint;
  readonly tags: TagSet;
}

/** One entry of a rule's source or destination, as the input wrote it. */
export type AddressTerm =
  | { readonly kind: 'any'; readonly text: string }
  | { readonly kind: 'prefix'; readonly text: string; readonly set: AddressSet }
  /** A named set: VirtualNetwork, Internet, AzureLoadBalancer or a service tag; `key` is lower-case. */
  | { readonly kind: 'tag'; readonly text: string; readonly key: string }
  /** An application security group; `id` is normalised (lower-case). */
  | { readonly kind: 'asg'; readonly text: string; readonly id: string };

/** A security rule after validation: singular, plural and ASG fields merged, values canonical. */
export interface SecurityRule {
  /** ARM id as given ('' when the input had none). */
  readonly id: string;
  readonly name: string;
  readonly priority: number;
  readonly direction: Direction;
  readonly access: Access;
  readonly protocol: RuleProtocol;
  /** Union of sourceAddressPrefix, sourceAddressPrefixes and sourceApplicationSecurityGroups. */
  readonly source: readonly AddressTerm[];
  readonly destination: readonly AddressTerm[];
  readonly sourcePorts: PortSet;
  readonly destinationPorts: PortSet;
  /** One of the six default rules (or a default rule the input listed). */
  readonly isDefault: boolean;
  readonly description: string;
}

/** A validated NSG: its rules per direction in processing order, default rules included. */
export interface Nsg {
  /** ARM id as given (or derived from its rules' ids). */
  readonly id: string;
  readonly name: string;
  readonly inbound: readonly SecurityRule[];
  readonly outbound: readonly SecurityRule[];
}

export type NsgParseResult =
  | { readonly ok: true; readonly nsg: Nsg; readonly warnings: readonly ResourceError[] }
  | { readonly ok: false; readonly errors: readonly ResourceError[] };

export type RuleParseResult =
  | {
      readonly ok: true;
      readonly rule: SecurityRule;
      /** The parent NSG's id, derived from the rule id ('' when unknown). */
      readonly nsgId: string;
      readonly warnings: readonly ResourceError[];
    }
  | { readonly ok: false; readonly errors: readonly ResourceError[] };

/**
 * A concrete flow. Addresses are IP literals of one family (or, for a flow from or to a service
 * tag that has no data loaded, the tag's name). Tcp/Udp flows carry both ports; Icmp/Esp/Ah none.
 */
export interface Flow {
  readonly direction: Direction;
  readonly protocol: FlowProtocol;
  readonly sourceIp: string;
  readonly sourcePort?: number;
  readonly destinationIp: string;
  readonly destinationPort?: number;
}

export type FlowParseResult =
  | { readonly ok: true; readonly flow: Flow }
  | { readonly ok: false; readonly errors: readonly { field: string; message: string }[] };

/** A rule that took part in a decision. Structurally a `DecidingRule` of lib/rules/finding.ts. */
export interface RuleRef {
  /** The NSG's ARM id. */
  readonly nsg: string;
  readonly nsgName: string;
  readonly rule: string;
  readonly priority: number;
  readonly access: Access;
  readonly direction: Direction;
  readonly isDefault: boolean;
  /** Set when the rule is a Virtual Network Manager security admin rule: where it comes from and its action. */
  readonly admin?: AdminRuleOrigin;
}

/** A security admin rule's place: its network manager, configuration and rule collection (ARM ids), and its action. */
export interface AdminRuleOrigin {
  /** The admin rule's ARM id. */
  readonly id: string;
  readonly manager: string;
  readonly configuration: string;
  readonly collection: string;
  readonly action: 'Allow' | 'Deny' | 'AlwaysAllow';
}

/** The verdict of one NSG on one flow. */
export interface FlowDecision {
  readonly access: Access;
  readonly rule: RuleRef;
}

/** The verdict of a NIC's subnet NSG and NIC NSG together. */
export interface ComposedDecision {
  readonly access: Access;
  /** Every NSG consulted, in processing order, with its deciding rule (empty: no NSG present). */
  readonly decidedBy: readonly RuleRef[];
}

/** Service tag address data (the weekly ServiceTags file or the Discovery API). */
export interface ServiceTagData {
  readonly changeNumber: string;
  readonly cloud: string;
  /** Tag names as the data spells them. */
  readonly names: readonly string[];
  /** Case-insensitive: `storage.westeurope` finds `Storage.WestEurope`. */
  has(name: string): boolean;
  /** The tag's address set, built on first use (invalid prefixes are listed in `problems`). */
  addressSet(name: string): AddressSet | undefined;
  /** Prefixes in the data that could not be parsed, named by tag. */
  readonly problems: readonly string[];
}

export type ServiceTagParseResult =
  | { readonly ok: true; readonly data: ServiceTagData }
  | { readonly ok: false; readonly error: string };

export interface ContextOptions {
  /** The attachment's VNet address space plus directly peered VNets' (Connected peerings) and connected on-premises spaces. */
  readonly virtualNetworkPrefixes?: readonly string[];
  /**
   * Prefixes of the user-defined routes on the attachment's subnet: part of VirtualNetwork (DESIGN §3),
   * yet where they are public addresses they are still the Internet (a 0.0.0.0/0 route to an
   * appliance does not make the Internet ours). Ignored when no virtual network is known.
   */
  readonly routePrefixes?: readonly string[];
  /** Normalised ASG id → IPs of the member NICs' IP configurations. */
  readonly asgAddresses?: ReadonlyMap<string, readonly string[]> | Readonly<Record<string, readonly string[]>>;
  readonly serviceTags?: ServiceTagData;
  /** "Broad" means strictly more addresses than this (DESIGN §3: 2^24 IPv4, 2^96 IPv6). */
  readonly broadThreshold?: { readonly ipv4?: number; readonly ipv6?: bigint };
}

/**
 * Everything a decision depends on beyond the NSG itself, for one attachment point. Memoises
 * resolved named sets and compiled NSGs; create one per attachment and reuse it.
 */
export interface EvaluationContext {
  readonly virtualNetwork: AddressSet;
  /** The part of VirtualNetwork that is the networks' own space (without route prefixes): what Internet leaves out. */
  readonly ownSpace: AddressSet;
  /** Assumptions results rest on (the default VirtualNetwork ranges when no VNet is known). */
  readonly assumptions: readonly string[];
  /** Context inputs that were skipped, e.g. an ASG member that is not an IP. */
  readonly problems: readonly string[];
  readonly broadThreshold: { readonly ipv4: number; readonly ipv6: bigint };
  readonly serviceTags: ServiceTagData | undefined;
  readonly asgAddresses: ReadonlyMap<string, AddressSet>;
  /** Engine-internal caches. */
  readonly memo: {
    readonly named: Map<string, AddressSet>;
    /** Tag key → the name as a rule spelled it (`AzureCloud`), for words; keys stay lower case. */
    readonly tagNames: Map<string, string>;
    readonly compiled: WeakMap<Nsg, unknown>;
  };
}

/** One NSG with the context of the attachment it is judged at. */
export interface Layer {
  readonly nsg: Nsg;
  readonly ctx: EvaluationContext;
}

/** The NSGs guarding one NIC; an absent layer allows everything. */
export interface Layers {
  readonly subnet?: Layer;
  readonly nic?: Layer;
  /**
   * Virtual Network Manager security admin rules, evaluated before both NSGs: an AdminRuleSet
   * (admin.ts) whose rules carry their action. Absent: no admin rule applies.
   */
  readonly admin?: Layer;
}

/** What an analysis is about: a lone NSG, or a NIC's subnet and NIC NSGs composed. */
export type Target = Layer | Layers;

/** A set question: every flow of one protocol in one direction between two address sets. */
export interface RegionQuery {
  readonly direction: Direction;
  readonly protocol: FlowProtocol;
  /** The far side: the source of inbound flows, the destination of outbound ones. */
  readonly remote: AddressSet;
  /** The resource's side: a NIC's IPs, a subnet's range, or every address. */
  readonly local: AddressSet;
  /** Default: every port. Ignored for Icmp/Esp/Ah. */
  readonly sourcePorts?: PortSet;
  readonly destinationPorts?: PortSet;
}

/** A box of flows with one verdict; ports are null for Icmp/Esp/Ah. */
export interface RegionPart {
  readonly access: Access;
  readonly remote: AddressSet;
  readonly local: AddressSet;
  readonly sourcePorts: PortSet | null;
  readonly destinationPorts: PortSet | null;
  /** One rule per NSG consulted, in processing order. */
  readonly decidedBy: readonly RuleRef[];
  readonly witness: Flow;
}

/** What every analysis reports beside its answer. */
export interface AnalysisNotes {
  /** Service tags with no address data that the rules or the query name (as written). */
  readonly unresolvedTags: readonly string[];
  /** ASGs the rules name that have no known members (they match nothing). */
  readonly emptyAsgs: readonly string[];
  readonly assumptions: readonly string[];
}

/** The query region split exactly into parts, each decided by one chain of rules. */
export interface RegionAnalysis extends AnalysisNotes {
  readonly parts: readonly RegionPart[];
}

/** Destination ports that share one allowed remote set. */
export interface PortReach {
  readonly destinationPorts: PortSet;
  /** Remote addresses (within the query's remote set) allowed to each of these ports. */
  readonly remote: AddressSet;
  readonly count: AddressCount;
  /** More than the context's threshold, or holding an unresolved tag. */
  readonly broad: boolean;
  /** The rule chains that allow it, each as in {@link RegionPart.decidedBy}. */
  readonly decidedBy: readonly (readonly RuleRef[])[];
  readonly witness: Flow;
}

export interface ReachablePorts extends AnalysisNotes {
  /** Destination ports at least one flow of the query reaches. */
  readonly ports: PortSet;
  /** Destination ports whose allowed remote set is broad. */
  readonly broadPorts: PortSet;
  readonly reach: readonly PortReach[];
}

export type RuleDecision =
  | { readonly rule: RuleRef; readonly decides: true; readonly witness: Flow }
  | {
      readonly rule: RuleRef;
      readonly decides: false;
      /** `shadowed`: earlier rules decide all its flows; `matchesNothing`: it can match no flow. */
      readonly reason: 'shadowed' | 'matchesNothing';
      /**
       * Earlier rules that match some of its flows and together match all of them (when one earlier
       * rule matches all of them, the list ends with that rule). Empty for `matchesNothing`.
       */
      readonly shadowedBy: readonly RuleRef[];
    };

/** An input problem: never guessed at, reported with the resource, the rule and the field. */
export interface ResourceError {
  resourceId: string;
  /** The security rule (or other child) at fault, when there is one. */
  rule?: string;
  field?: string;
  message: string;
}

/** One concrete flow that shows a verdict, as findings carry it. */
export interface WitnessFlow {
  direction: 'Inbound' | 'Outbound';
  protocol: string;
  source: string;
  sourcePort: number | null;
  destination: string;
  destinationPort: number | null;
}
