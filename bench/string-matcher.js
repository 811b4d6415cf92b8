/**
 * The yardstick for `nsgwatch scan`: a per-rule string matcher in the style of the usual NSG
 * checkers. It reads the same estate file and flags each inbound Allow rule whose source is
 * `*`, `Any`, `Internet` or `0.0.0.0/0` and whose destination ports name 22 or 3389 (`*`, the
 * port, or a range holding it). No priorities, no default rules, no composition, no CIDR math:
 * what exactness is measured against. Plain JavaScript, so it runs on bare Node like the CLI.
 *
 * usage: node bench/string-matcher.js FILE  (prints the flagged rules as JSON)
 */
import { readFileSync } from 'node:fs';

const OPEN_SOURCES = new Set(['*', 'any', 'internet', '0.0.0.0/0']);
const PORTS = [22, 3389];

function list(single, plural) {
  const values = [];
  if (typeof single === 'string') values.push(single);
  if (Array.isArray(plural)) for (const v of plural) if (typeof v === 'string') values.push(v);
  return values;
}

function portsNamed(range) {
  const text = range.trim();
  if (text === '*') return PORTS;
  const dash = text.indexOf('-');
  const lo = Number(dash < 0 ? text : text.slice(0, dash));
  const hi = dash < 0 ? lo : Number(text.slice(dash + 1));
  return PORTS.filter((p) => p >= lo && p <= hi);
}

function resourcesOf(json) {
  if (Array.isArray(json)) return json;
  if (json !== null && typeof json === 'object' && Array.isArray(json.value)) return json.value;
  return [json];
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/string-matcher.js FILE\n');
  process.exit(2);
}
const flagged = [];
for (const resource of resourcesOf(JSON.parse(readFileSync(file, 'utf8')))) {
  if (typeof resource?.type !== 'string' || resource.type.toLowerCase() !== 'microsoft.network/networksecuritygroups') continue;
  for (const rule of resource.properties?.securityRules ?? []) {
    const p = rule?.properties ?? {};
    if (String(p.direction).toLowerCase() !== 'inbound' || String(p.access).toLowerCase() !== 'allow') continue;
    if (!list(p.sourceAddressPrefix, p.sourceAddressPrefixes).some((s) => OPEN_SOURCES.has(s.trim().toLowerCase()))) continue;
    const ports = new Set(list(p.destinationPortRange, p.destinationPortRanges).flatMap(portsNamed));
    for (const port of ports) flagged.push({ nsg: resource.id, rule: rule.name, port, message: `Allow from ${p.sourceAddressPrefix ?? 'a list'} on port ${port}` });
  }
}
process.stdout.write(`${JSON.stringify(flagged)}\n`);
