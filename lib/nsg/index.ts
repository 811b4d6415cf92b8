/**
 * The exact NSG evaluation engine (DESIGN §3): parsing and validation of NSGs and rules, exact
 * address and port sets, service tags, first-match decisions, composition of subnet and NIC NSGs,
 * and exact set analysis (reachability, exposure, shadowing) with witness flows. Pure: no I/O.
 */
export type * from './types.js';
export { FLOW_PROTOCOLS, DIRECTIONS } from './types.js';
export { boundedText, describeValue, type DescribeLimits } from './describe-value.js';

export {
  ALL_PORTS,
  NO_PORTS,
  parsePorts,
  portSet,
  portUnion,
  portIntersect,
  portDifference,
  portContains,
  portOverlaps,
  portIsSubset,
  portIsEmpty,
  portIsAll,
  portCount,
  portRanges,
  formatPorts,
} from './ports.js';

export {
  ANY_ADDRESS,
  NO_ADDRESS,
  parseAddressPrefix,
  parseIp,
  formatIp,
  addressesFromPrefixes,
  tagAtom,
  addressUnion,
  addressUnionAll,
  addressIntersect,
  addressDifference,
  addressIsEmpty,
  addressEquals,
  addressIsSubset,
  addressOverlaps,
  addressContains,
  addressCount,
  addressSample,
  addressSampleIp,
  addressToCidrs,
  cidrSummary,
  formatAddresses,
} from './addresses.js';

export type { Ip, PrefixParseResult } from './addresses.js';

export { parseServiceTags } from './servicetags.js';
export { PLATFORM_TAGS, platformTag, type PlatformTag } from './platform-tags.js';

export {
  createContext,
  namedSet,
  namedServiceTags,
  tagDisplayName,
  isBroad,
  namedSetKind,
  SPECIAL_PURPOSE_PREFIXES,
  DEFAULT_BROAD_THRESHOLD,
  DEFAULT_VIRTUAL_NETWORK_PREFIXES,
} from './context.js';

export { readAddressTerm, resolveTerm, resolveTerms, termGap, type TermGap, type TermReading } from './terms.js';

export {
  flattenResource,
  parseNsg,
  parseSecurityRule,
  mergeRules,
  defaultRules,
  DEFAULT_RULE_NAMES,
  NSG_LIMITS,
} from './parse.js';

export { parseFlow, evaluateFlow, evaluateComposed, toWitness } from './evaluate.js';
export { parseAdminRule, adminRuleSet, actionOf, type AdminAction, type AdminRule, type AdminRuleSet, type AdminRuleParseResult } from './admin.js';
export { hasPorts, ruleRef } from './compile.js';

export {
  analyzeRegion,
  reachablePorts,
  internetExposure,
  ruleDecisions,
  shadowedRules,
} from './analysis.js';

export { assertNever, errorMessage, isRecord } from './values.js';
