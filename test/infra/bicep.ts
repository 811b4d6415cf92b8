/**
 * Just enough of a Bicep reader for the drift test: comments, strings (with `${}` interpolation
 * and `'''` multi-line strings), bracket matching, object keys, string arrays, declarations.
 * No Bicep compiler is available here; this reads the text the way the compiler tokenises it.
 */

/** Index just past the string literal that starts at `start` (a `'`). */
function endOfString(text: string, start: number): number {
  if (text.startsWith("'''", start)) {
    const end = text.indexOf("'''", start + 3);
    if (end === -1) throw new Error(`unterminated ''' string at ${start}`);
    return end + 3;
  }
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\') i += 2;
    else if (ch === "'") return i + 1;
    else if (ch === '$' && text[i + 1] === '{') i = endOfInterpolation(text, i + 2);
    else if (ch === '\n') throw new Error(`unterminated string at ${start}`);
    else i++;
  }
  throw new Error(`unterminated string at ${start}`);
}

/** Index just past the `}` that closes an interpolation whose expression starts at `start`. */
function endOfInterpolation(text: string, start: number): number {
  let depth = 1;
  let i = start;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "'") i = endOfString(text, i);
    else {
      if (ch === '{') depth++;
      if (ch === '}' && --depth === 0) return i + 1;
      i++;
    }
  }
  throw new Error(`unterminated interpolation at ${start}`);
}

/** The text with `//` and `/* *\/` comments blanked (newlines kept), strings untouched. */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === "'") {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new Error(`unterminated comment at ${i}`);
      out += text.slice(i, end + 2).replace(/[^\n]/g, ' ');
      i = end + 2;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** The code with every string literal's text removed but its `${}` expressions kept. */
export function codeOnly(text: string): string {
  const source = stripComments(text);
  let out = '';
  let i = 0;
  while (i < source.length) {
    if (source[i] !== "'") {
      out += source[i];
      i++;
      continue;
    }
    const end = endOfString(source, i);
    const literal = source.slice(i, end);
    // Keep interpolated expressions: they are code (and they use params).
    const expressions: string[] = [];
    if (!literal.startsWith("'''")) {
      let j = 1;
      while (j < literal.length - 1) {
        if (literal[j] === '\\') j += 2;
        else if (literal[j] === '$' && literal[j + 1] === '{') {
          const close = endOfInterpolation(literal, j + 2);
          expressions.push(codeOnly(literal.slice(j + 2, close - 1)));
          j = close;
        } else j++;
      }
    }
    out += `''${expressions.map((e) => ` ${e} `).join('')}`;
    i = end;
  }
  return out;
}

/** Index of the bracket closing the one at `open` (`{`, `[` or `(`), skipping strings. */
export function matchingClose(text: string, open: number): number {
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  const stack: string[] = [];
  let i = open;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === "'") {
      i = endOfString(text, i);
      continue;
    }
    if (pairs[ch] !== undefined) stack.push(pairs[ch]);
    else if (ch === '}' || ch === ']' || ch === ')') {
      if (stack.pop() !== ch) throw new Error(`mismatched ${ch} at ${i}`);
      if (stack.length === 0) return i;
    }
    i++;
  }
  throw new Error(`no closing bracket for ${text[open]} at ${open}`);
}

/** Every bracket balanced, ignoring strings and comments: a first syntax sanity check. */
export function bracketsBalance(text: string): string | undefined {
  const code = codeOnly(text);
  const stack: { ch: string; at: number }[] = [];
  const closes: Record<string, string> = { '}': '{', ']': '[', ')': '(' };
  for (let i = 0; i < code.length; i++) {
    const ch = code[i] as string;
    if (ch === '{' || ch === '[' || ch === '(') stack.push({ ch, at: i });
    else if (closes[ch] !== undefined) {
      const top = stack.pop();
      if (top?.ch !== closes[ch]) return `unexpected ${ch} at line ${lineOf(code, i)}`;
    }
  }
  const open = stack.pop();
  return open === undefined ? undefined : `unclosed ${open.ch} from line ${lineOf(code, open.at)}`;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** The bracketed block (inclusive) that follows the first match of `marker`. */
export function blockAfter(text: string, marker: RegExp | string, bracket: '{' | '[' = '{'): string {
  const source = stripComments(text);
  const at = typeof marker === 'string' ? source.indexOf(marker) : source.search(marker);
  if (at === -1) throw new Error(`marker ${String(marker)} not found`);
  const open = source.indexOf(bracket, at);
  if (open === -1) throw new Error(`no ${bracket} after ${String(marker)}`);
  return source.slice(open, matchingClose(source, open) + 1);
}

/** Walk the top level (depth 1) of a bracketed block, calling `visit` at each top-level position. */
function walkTopLevel(block: string, visit: (index: number) => void): void {
  let depth = 0;
  let i = 0;
  while (i < block.length) {
    const ch = block[i] as string;
    if (ch === "'") {
      if (depth === 1) visit(i);
      i = endOfString(block, i);
      continue;
    }
    if (ch === '{' || ch === '[' || ch === '(') depth++;
    else if (ch === '}' || ch === ']' || ch === ')') depth--;
    else if (depth === 1) visit(i);
    i++;
  }
}

/** Top-level keys of an object literal block `{ ... }` (one property per line, as Bicep writes them). */
export function objectKeys(block: string): string[] {
  const keys: string[] = [];
  let atLineStart = true;
  walkTopLevel(block, (i) => {
    const ch = block[i] as string;
    if (ch === '\n') {
      atLineStart = true;
      return;
    }
    if (/\s/.test(ch)) return;
    if (atLineStart) {
      const m = /^(?:'([^'$]+)'|([A-Za-z_]\w*))\s*:/.exec(block.slice(i));
      if (m) keys.push((m[1] ?? m[2]) as string);
    }
    atLineStart = false;
  });
  return [...new Set(keys)];
}

/** The plain string literals at the top level of an array block `[ ... ]`. */
export function stringArray(block: string): string[] {
  const values: string[] = [];
  walkTopLevel(block, (i) => {
    if (block[i] !== "'") return;
    const end = endOfString(block, i);
    const literal = block.slice(i + 1, end - 1);
    if (!literal.includes('${')) values.push(literal);
  });
  return values;
}

export interface ParamDeclaration {
  name: string;
  type: string;
  hasDefault: boolean;
  allowed?: string[];
}

/** `param` declarations with their type, default and @allowed values. */
export function params(text: string): ParamDeclaration[] {
  const source = stripComments(text);
  const out: ParamDeclaration[] = [];
  const re = /^param\s+(\w+)\s+(\w+)(\s*=)?/gm;
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    const before = source.slice(0, m.index);
    // Decorators sit on the lines just above; the nearest @allowed([...]) belongs to this param
    // only if no other declaration comes between them.
    const allowedAt = before.lastIndexOf('@allowed(');
    const previousDecl = Math.max(before.lastIndexOf('\nparam '), before.lastIndexOf('\nvar '), before.lastIndexOf('\nresource '));
    const allowed = allowedAt > previousDecl ? stringArray(blockAfter(source.slice(allowedAt), '@allowed(', '[')) : undefined;
    out.push({ name: m[1] as string, type: m[2] as string, hasDefault: m[3] !== undefined, ...(allowed ? { allowed } : {}) });
  }
  return out;
}

export function outputs(text: string): string[] {
  return [...stripComments(text).matchAll(/^output\s+(\w+)\s/gm)].map((m) => m[1] as string);
}

export interface ModuleUse {
  symbol: string;
  path: string;
  /** Keys passed in `params: { ... }`. */
  params: string[];
}

export function modules(text: string): ModuleUse[] {
  const source = stripComments(text);
  const out: ModuleUse[] = [];
  const re = /^module\s+(\w+)\s+'([^']+)'\s*=/gm;
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    const open = source.indexOf('{', m.index);
    const body = source.slice(open, matchingClose(source, open) + 1);
    const passed = /\bparams\s*:/.test(body) ? objectKeys(blockAfter(body, /\bparams\s*:/)) : [];
    out.push({ symbol: m[1] as string, path: m[2] as string, params: passed });
  }
  return out;
}

export function targetScope(text: string): string {
  return /^targetScope\s*=\s*'(\w+)'/m.exec(stripComments(text))?.[1] ?? 'resourceGroup';
}

/** Each `resource` declaration: symbol, type@version and its body. */
export function resources(text: string): { symbol: string; type: string; body: string }[] {
  const source = stripComments(text);
  const out: { symbol: string; type: string; body: string }[] = [];
  const re = /\bresource\s+(\w+)\s+'([^']+)'(?:\s+existing)?\s*=/g;
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    const open = source.indexOf('{', m.index);
    out.push({ symbol: m[1] as string, type: m[2] as string, body: source.slice(open, matchingClose(source, open) + 1) });
  }
  return out;
}
