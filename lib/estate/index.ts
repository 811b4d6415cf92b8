/**
 * The estate: the inventory model, its loaders (any export shape, ARM templates) and the
 * relations the rules ask about. Pure: reading files from disk is lib/local/files.ts.
 */
export type * from './model.js';
export { estateKindOfId, estateKindOfType, type EstateKind } from './kinds.js';
export { addressProblem, asPrefix, prefixProblem } from './addresses.js';
export { parseJsonc, stripComments, type JsoncResult } from './jsonc.js';
export { loadEstate, type EstateDocument } from './load.js';
export { ruleSetDocument, type RuleSetResult } from './rule-set.js';
export { flatten, scanDocument, type DocumentScan, type FoundResource } from './shape.js';
export {
  asgAddresses,
  attachmentsOfNsg,
  bastionsServing,
  contextInputs,
  guardsOfNetworkInterface,
  natGatewaysOfSubnet,
  nicNsgSlot,
  nsgVirtualNetworkScope,
  relateEstate,
  RESERVED_SUBNET_NAMES,
  subnetNsgSlot,
  subnetRole,
  subnetsOfNatGateway,
  virtualNetworkScope,
  type AsgMembership,
  type AttachmentPoint,
  type BastionCoverage,
  type ContextInputs,
  type EstateRelations,
  type LocalAddresses,
  type NsgSlot,
  type PeeredNetwork,
  type SubnetRole,
  type VirtualNetworkScope,
} from './relations.js';
export {
  resourcesFromTemplate,
  templateDocument,
  TEMPLATE_SUBSCRIPTION_ID,
  unresolvedErrors,
  type TemplateOptions,
  type TemplateResult,
  type UnresolvedExpression,
} from './template.js';
