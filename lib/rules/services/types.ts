/**
 * A service's documented NSG requirements as data, in the policy format of users' policies
 * (docs/policies.md): the flows an NSG on the service's subnet must let through, and the rules its
 * documented rule set prescribes beyond those (kept, never "shadowed, remove"). Pure data.
 */
import type { ServiceKind, ServiceUse } from '../../estate/services.js';
import type { FlowSetSpec } from '../../policy/model.js';

/** What a requirement may depend on, per subnet: the service found there and what it holds. */
export interface ServiceContext {
  use: ServiceUse;
  /** The subnet's own address prefixes (SQL Managed Instance's rules name the subnet). */
  subnetPrefixes: readonly string[];
  /** Application Gateway: the listeners' ports, on public and on private frontends. */
  listenerPorts: { public: readonly number[]; private: readonly number[] };
}

export interface ServiceRequirements {
  service: Exclude<ServiceKind, 'other'>;
  /** The Microsoft document the flows encode. */
  document: string;
  /** The required flows at one subnet (labels name each flow in findings). */
  flows(context: ServiceContext): FlowSetSpec[];
  /** Rules the documented rule set holds though the service does not require them (optional features). */
  prescribed: FlowSetSpec[];
  /**
   * The service's network intent policy writes the required rules into the NSG (SQL Managed
   * Instance): an NSG that holds none of them yet (a template, before deployment) gets them from
   * Azure and is not judged; one that holds them is judged as exported.
   */
  writtenByIntentPolicy?: boolean;
  /** A context the catalogue renders the flows with. */
  example: ServiceContext;
}
