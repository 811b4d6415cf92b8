/** ARM ids and resource types: the bottom layer every other one builds on. */
export {
  childId,
  kindOfId,
  nameOfId,
  normalizeId,
  parentId,
  parseArmId,
  parseResourceId,
  subscriptionOf,
  topLevelId,
  topLevelKey,
  type ArmId,
  type ArmIdResult,
} from './id.js';
export {
  armTypeOf,
  isNetworkKind,
  isTopLevel,
  kindOfType,
  parentKindOf,
  RESOURCE_KINDS,
  topLevelKindOf,
  type NetworkKind,
  type ResourceKind,
} from './kinds.js';
export { parseNetworkRef, topLevelRef, type NetworkRef, type ParsedNetworkRef } from './ref.js';
