/**
 * The rule catalogue: every built-in rule, listed explicitly (adding a rule touches three places:
 * its file, its fixtures, one line here).
 */
import { rule as BAS_001 } from './BAS-001.js';
import { rule as BAS_002 } from './BAS-002.js';
import { rule as BAS_003 } from './BAS-003.js';
import { rule as NAT_001 } from './NAT-001.js';
import { rule as NAT_002 } from './NAT-002.js';
import { rule as NSG_001 } from './NSG-001.js';
import { rule as NSG_002 } from './NSG-002.js';
import { rule as NSG_003 } from './NSG-003.js';
import { rule as NSG_004 } from './NSG-004.js';
import { rule as NSG_005 } from './NSG-005.js';
import { rule as NSG_006 } from './NSG-006.js';
import { rule as NSG_007 } from './NSG-007.js';
import { rule as NSG_010 } from './NSG-010.js';
import { rule as NSG_011 } from './NSG-011.js';
import { rule as NSG_012 } from './NSG-012.js';
import { rule as NSG_013 } from './NSG-013.js';
import { rule as NSG_014 } from './NSG-014.js';
import { rule as SVC_001 } from './SVC-001.js';
import { rule as SVC_002 } from './SVC-002.js';
import { rule as SVC_003 } from './SVC-003.js';
import { rule as SVC_004 } from './SVC-004.js';
import { rule as SVC_005 } from './SVC-005.js';
import { rule as SVC_006 } from './SVC-006.js';
import type { Rule } from './support/types.js';

export const RULES: readonly Rule[] = [
  NSG_001,
  NSG_002,
  NSG_003,
  NSG_004,
  NSG_005,
  NSG_006,
  NSG_007,
  NSG_010,
  NSG_011,
  NSG_012,
  NSG_013,
  NSG_014,
  NAT_001,
  NAT_002,
  BAS_001,
  BAS_002,
  BAS_003,
  SVC_001,
  SVC_002,
  SVC_003,
  SVC_004,
  SVC_005,
  SVC_006,
];
