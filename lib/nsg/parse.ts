/** Parsing and validation of NSGs and security rules (ARM REST and flattened az CLI / SDK shapes). */
import type { Nsg, NsgParseResult, RuleParseResult, SecurityRule } from './types.js';

export const DEFAULT_RULE_NAMES: readonly string[] = [];

/** Merges `properties` up into the resource object; top-level id, name and type win. */
export function flattenResource(raw: unknown): Record<string, unknown> | undefined {
  void raw;
  throw new Error('not implemented yet');
}

/** Parses an NSG (REST, az CLI/SDK or effective-rules shape); all errors for the NSG at once. */
export function parseNsg(raw: unknown, options: { id?: string } = {}): NsgParseResult {
  void raw;
  void options;
  throw new Error('not implemented yet');
}

/** Parses a standalone security rule resource (…/networkSecurityGroups/X/securityRules/Y). */
export function parseSecurityRule(raw: unknown, options: { isDefault?: boolean; nsgId?: string } = {}): RuleParseResult {
  void raw;
  void options;
  throw new Error('not implemented yet');
}

/** The NSG with these rules added (replacing same-named ones), re-validated for priorities. */
export function mergeRules(nsg: Nsg, rules: readonly SecurityRule[]): NsgParseResult {
  void nsg;
  void rules;
  throw new Error('not implemented yet');
}

/** The six default rules of an NSG. */
export function defaultRules(nsgId: string): SecurityRule[] {
  void nsgId;
  throw new Error('not implemented yet');
}
