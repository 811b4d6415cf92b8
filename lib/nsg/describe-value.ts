/**
 * Untrusted input in a message: JSON-like, but bounded in depth and length, so a deeply nested or
 * huge value in a rule field can neither overflow the stack nor flood a report. Pure.
 */

export interface DescribeLimits {
  /** Characters of the result at most (an ellipsis marks a cut). */
  maxLength?: number;
  /** Levels of arrays and objects shown; deeper ones become `[…]` / `{…}`. */
  maxDepth?: number;
}

const DEFAULT_LENGTH = 120;
const DEFAULT_DEPTH = 2;

export function describeValue(value: unknown, limits: DescribeLimits = {}): string {
  const maxLength = limits.maxLength ?? DEFAULT_LENGTH;
  const maxDepth = limits.maxDepth ?? DEFAULT_DEPTH;
  let out = '';
  // Stops walking as soon as the budget is spent: cost is bounded by maxLength, not by the value.
  const budget = (): boolean => out.length <= maxLength;
  const walk = (v: unknown, depth: number): void => {
    if (!budget()) return;
    if (v === null || typeof v === 'boolean' || typeof v === 'number') {
      out += String(v);
      return;
    }
    if (typeof v === 'string') {
      out += JSON.stringify(v.length > maxLength ? v.slice(0, maxLength) : v);
      return;
    }
    if (v === undefined) {
      out += 'undefined';
      return;
    }
    if (Array.isArray(v)) {
      if (depth >= maxDepth) {
        out += v.length === 0 ? '[]' : '[…]';
        return;
      }
      out += '[';
      for (let i = 0; i < v.length && budget(); i++) {
        if (i > 0) out += ',';
        walk(v[i], depth + 1);
      }
      out += ']';
      return;
    }
    if (typeof v === 'object') {
      const keys = Object.keys(v);
      if (depth >= maxDepth) {
        out += keys.length === 0 ? '{}' : '{…}';
        return;
      }
      out += '{';
      for (let i = 0; i < keys.length && budget(); i++) {
        const key = keys[i] ?? '';
        if (i > 0) out += ',';
        out += `${JSON.stringify(key.length > maxLength ? key.slice(0, maxLength) : key)}:`;
        walk((v as Record<string, unknown>)[key], depth + 1);
      }
      out += '}';
      return;
    }
    out += typeof v;
  };
  walk(value, 0);
  return out.length > maxLength ? `${out.slice(0, Math.max(maxLength - 1, 0))}…` : out;
}

/** Untrusted text quoted in a message, cut to `max` characters (an ellipsis marks the cut). */
export function boundedText(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
