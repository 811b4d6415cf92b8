/**
 * Rule files kept beside templates — the JSON companions Bicep loads with loadJsonContent, shared
 * rule variables, parameter files holding a rule array — are not resources: they hold rules only.
 * This turns one into a standalone NSG (named after the file) so its rules can be judged alone.
 */
import type { EstateDocument } from './load.js';
import { isObject, type JsonObject } from './shape.js';
import { TEMPLATE_SUBSCRIPTION_ID } from './template.js';

export type RuleSetResult = { ok: true; document: EstateDocument; rules: number } | { ok: false; error: string };

/**
 * Accepts a bare array of rules, `{ securityRules: [...] }`, a parameters file whose parameter
 * value is such an array, or a single rule. Rules keep their names; an unnamed one is named after
 * the file and its position.
 */
export function ruleSetDocument(json: unknown, options: { label: string; resourceGroup?: string }): RuleSetResult {
  const rules = findRules(json);
  if (!rules) return { ok: false, error: `${options.label} holds no security rules (objects with direction and access)` };
  const id = `/subscriptions/${TEMPLATE_SUBSCRIPTION_ID}/resourceGroups/${options.resourceGroup ?? 'rule-sets'}/providers/Microsoft.Network/networkSecurityGroups/${options.label}`;
  // REST and flattened rules alike; only a name has to be there for the rule to have an id.
  const securityRules = rules.map((rule, i) =>
    typeof rule['name'] === 'string' && rule['name'] !== '' ? rule : { ...rule, name: `${options.label}-${i + 1}` },
  );
  return {
    ok: true,
    rules: securityRules.length,
    document: {
      source: `rule set ${options.label}`,
      json: { id, name: options.label, type: 'Microsoft.Network/networkSecurityGroups', properties: { securityRules } },
    },
  };
}

function isRule(value: unknown): value is JsonObject {
  if (!isObject(value)) return false;
  const fields = isObject(value['properties']) ? value['properties'] : value;
  return 'direction' in fields && 'access' in fields;
}

function findRules(json: unknown): JsonObject[] | undefined {
  if (Array.isArray(json)) return json.length > 0 && json.every(isRule) ? json : undefined;
  if (isRule(json)) return [json];
  if (!isObject(json)) return undefined;
  if (Array.isArray(json['securityRules'])) return findRules(json['securityRules']);
  const parameters = json['parameters'];
  if (isObject(parameters)) {
    for (const parameter of Object.values(parameters)) {
      const found = isObject(parameter) ? findRules(parameter['value']) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}
