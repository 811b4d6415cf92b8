/**
 * JSON with comments (JSONC): exports and templates are JSON, but hand-kept rule files carry
 * `//` and block comments and trailing commas. Plain JSON takes the fast path.
 */
import { errorMessage } from '../nsg/index.js';

export type JsoncResult = { ok: true; value: unknown } | { ok: false; error: string };

export function parseJsonc(text: string): JsoncResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (plainError) {
    const stripped = stripComments(body);
    if (stripped === body) return { ok: false, error: describe(plainError, body) };
    try {
      return { ok: true, value: JSON.parse(stripped) };
    } catch (error) {
      return { ok: false, error: describe(error, stripped) };
    }
  }
}

/**
 * Blanks out comments and trailing commas outside strings, keeping every other character (and
 * every newline) in place so positions in error messages still point at the input.
 */
export function stripComments(text: string): string {
  const out = text.split('');
  let i = 0;
  let lastSignificant = -1;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i += 1;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      lastSignificant = i;
      i += 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') out[i++] = ' ';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i += 1) if (text[i] !== '\n') out[i] = ' ';
    } else if ((c === '}' || c === ']') && lastSignificant >= 0 && text[lastSignificant] === ',') {
      out[lastSignificant] = ' ';
      lastSignificant = i;
      i += 1;
    } else {
      if (c !== undefined && !/\s/.test(c)) lastSignificant = i;
      i += 1;
    }
  }
  return out.join('');
}

function describe(error: unknown, text: string): string {
  const message = errorMessage(error);
  const match = /position (\d+)/.exec(message);
  if (!match) return message;
  const position = Number(match[1]);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}
