/**
 * ARM template expressions (`[concat(parameters('x'), '-nsg')]`), evaluated only as far as they
 * are literal: parameters with literal values, variables, concat/format/resourceId, copyIndex,
 * simple logic and string functions. Anything that needs a deployment (resourceGroup(),
 * reference(), uniqueString(), ...) is reported as unresolved, never guessed.
 */
import { assertNever, errorMessage } from '../nsg/index.js';

const UNRESOLVED: unique symbol = Symbol('unresolved');

/** A value that could not be worked out offline; it travels inside results until reported. */
export interface Unresolved {
  readonly [UNRESOLVED]: true;
  readonly reason: string;
}

export function unresolved(reason: string): Unresolved {
  return { [UNRESOLVED]: true, reason };
}

export function isUnresolved(value: unknown): value is Unresolved {
  return typeof value === 'object' && value !== null && UNRESOLVED in value;
}

/** The first unresolved part inside a value, if any. */
export function firstUnresolved(value: unknown): Unresolved | undefined {
  if (isUnresolved(value)) return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = firstUnresolved(item);
      if (found) return found;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) {
      const found = firstUnresolved(item);
      if (found) return found;
    }
  }
  return undefined;
}

/** What expressions can see of their template. */
export interface ExpressionScope {
  parameter(name: string): unknown;
  variable(name: string): unknown;
  /** The current index of the named copy loop (or of the innermost loop when `loop` is undefined). */
  copyIndex(loop: string | undefined): number | undefined;
  subscriptionId: string;
  resourceGroup: string;
}

/** `[...]` is an expression; `[[...` is a literal string starting with `[`. */
export function isExpression(text: string): boolean {
  return text.startsWith('[') && text.endsWith(']') && !text.startsWith('[[');
}

/** Evaluates `[expression]`; the result may be (or contain) an Unresolved. */
export function evaluateExpression(text: string, scope: ExpressionScope): unknown {
  let node: Node;
  try {
    node = parse(text.slice(1, -1));
  } catch (error) {
    return unresolved(`not an expression nsgwatch can read: ${errorMessage(error)}`);
  }
  return evaluate(node, scope);
}

type Node =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'member'; object: Node; property: string }
  | { kind: 'index'; object: Node; index: Node };

type Token = { kind: 'ident' | 'string' | 'number' | 'punct'; text: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? '';
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "'") {
      let value = '';
      i += 1;
      for (;;) {
        if (i >= source.length) throw new Error('unterminated string');
        if (source[i] === "'") {
          if (source[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += source[i];
        i += 1;
      }
      tokens.push({ kind: 'string', text: value });
    } else if (/[A-Za-z_$]/.test(c)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(source.slice(i));
      const text = match?.[0] ?? c;
      tokens.push({ kind: 'ident', text });
      i += text.length;
    } else if (/[-0-9]/.test(c)) {
      const match = /^-?\d+(\.\d+)?/.exec(source.slice(i));
      if (!match) throw new Error(`unexpected '${c}'`);
      tokens.push({ kind: 'number', text: match[0] });
      i += match[0].length;
    } else if ('(),.[]'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i += 1;
    } else {
      throw new Error(`unexpected '${c}'`);
    }
  }
  return tokens;
}

function parse(source: string): Node {
  const tokens = tokenize(source);
  let at = 0;
  const peek = () => tokens[at];
  const expect = (text: string) => {
    const token = tokens[at];
    if (token?.kind !== 'punct' || token.text !== text) throw new Error(`expected '${text}'`);
    at += 1;
  };
  const primary = (): Node => {
    const token = tokens[at];
    if (!token) throw new Error('unexpected end');
    at += 1;
    if (token.kind === 'string') return { kind: 'string', value: token.text };
    if (token.kind === 'number') return { kind: 'number', value: Number(token.text) };
    if (token.kind !== 'ident') throw new Error(`unexpected '${token.text}'`);
    expect('(');
    const args: Node[] = [];
    if (!(peek()?.kind === 'punct' && peek()?.text === ')')) {
      for (;;) {
        args.push(expression());
        if (peek()?.kind === 'punct' && peek()?.text === ',') {
          at += 1;
          continue;
        }
        break;
      }
    }
    expect(')');
    return { kind: 'call', name: token.text, args };
  };
  const expression = (): Node => {
    let node = primary();
    for (;;) {
      const token = peek();
      if (token?.kind === 'punct' && token.text === '.') {
        at += 1;
        const property = tokens[at];
        if (property?.kind !== 'ident') throw new Error('expected a property name');
        at += 1;
        node = { kind: 'member', object: node, property: property.text };
      } else if (token?.kind === 'punct' && token.text === '[') {
        at += 1;
        const index = expression();
        expect(']');
        node = { kind: 'index', object: node, index };
      } else {
        return node;
      }
    }
  };
  const node = expression();
  if (at !== tokens.length) throw new Error(`unexpected '${tokens[at]?.text ?? ''}'`);
  return node;
}

/** Functions that need a live deployment: named in the report as such. */
const DEPLOYMENT_FUNCTIONS = new Set([
  'resourcegroup',
  'subscription',
  'deployment',
  'reference',
  'uniquestring',
  'listkeys',
  'list',
  'environment',
  'tenant',
  'managementgroup',
  'newguid',
  'utcnow',
  'pickzones',
]);

function evaluate(node: Node, scope: ExpressionScope): unknown {
  switch (node.kind) {
    case 'string':
      return node.value;
    case 'number':
      return node.value;
    case 'member': {
      const object = evaluate(node.object, scope);
      if (isUnresolved(object)) return object;
      return property(object, node.property);
    }
    case 'index': {
      const object = evaluate(node.object, scope);
      if (isUnresolved(object)) return object;
      const index = evaluate(node.index, scope);
      if (isUnresolved(index)) return index;
      if (Array.isArray(object) && typeof index === 'number') {
        return index >= 0 && index < object.length ? object[index] : unresolved(`index ${index} is out of range`);
      }
      return typeof index === 'string' ? property(object, index) : unresolved('bad index');
    }
    case 'call':
      return call(node.name.toLowerCase(), node.args, scope);
    default:
      return assertNever(node, 'expression node');
  }
}

function property(object: unknown, name: string): unknown {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    return unresolved(`.${name} of a value that is not an object`);
  }
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? unresolved(`no property '${name}'`) : (object as Record<string, unknown>)[key];
}

function call(name: string, argNodes: readonly Node[], scope: ExpressionScope): unknown {
  // `if` evaluates only the branch it takes, so an unresolved other branch does not matter.
  if (name === 'if') {
    if (argNodes.length !== 3) return unresolved('if() takes three arguments');
    const [condition, then, otherwise] = argNodes as [Node, Node, Node];
    const test = evaluate(condition, scope);
    if (isUnresolved(test)) return test;
    if (typeof test !== 'boolean') return unresolved('if() condition is not a boolean');
    return evaluate(test ? then : otherwise, scope);
  }
  if (DEPLOYMENT_FUNCTIONS.has(name)) return unresolved(`${name}() depends on the deployment`);
  const args = argNodes.map((a) => evaluate(a, scope));
  const blocked = args.find(isUnresolved);
  if (blocked) return blocked;
  const str = (i: number) => (typeof args[i] === 'string' ? (args[i]) : undefined);
  switch (name) {
    case 'parameters':
      return str(0) === undefined ? unresolved('parameters() needs a name') : scope.parameter(str(0) ?? '');
    case 'variables':
      return str(0) === undefined ? unresolved('variables() needs a name') : scope.variable(str(0) ?? '');
    case 'concat':
      if (args.length > 0 && args.every(Array.isArray)) return (args as unknown[][]).flat();
      if (args.every((a) => typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean')) {
        return args.map(String).join('');
      }
      return unresolved('concat() of values that are neither all strings nor all arrays');
    case 'format': {
      const format = str(0);
      if (format === undefined) return unresolved('format() needs a format string');
      let problem: string | undefined;
      const text = format.replace(/\{(\d+)(:[^}]*)?\}/g, (_, index: string, spec: string | undefined) => {
        const value = args[Number(index) + 1];
        if (spec !== undefined || value === undefined || typeof value === 'object') problem = `format() placeholder {${index}${spec ?? ''}}`;
        return String(value);
      });
      return problem ? unresolved(`${problem} is not supported offline`) : text;
    }
    case 'resourceid':
      return resourceId(args, scope);
    case 'copyindex': {
      const loop = typeof args[0] === 'string' ? args[0] : undefined;
      const offset = typeof args[args.length - 1] === 'number' ? (args[args.length - 1] as number) : 0;
      const index = scope.copyIndex(loop);
      return index === undefined ? unresolved(`copyIndex(${loop ?? ''}) outside its copy loop`) : index + offset;
    }
    case 'equals':
      return args.length === 2 ? JSON.stringify(args[0]) === JSON.stringify(args[1]) : unresolved('equals() takes two arguments');
    case 'not':
      return typeof args[0] === 'boolean' ? !args[0] : unresolved('not() of a non-boolean');
    case 'and':
      return args.every((a) => typeof a === 'boolean') ? args.every(Boolean) : unresolved('and() of a non-boolean');
    case 'or':
      return args.every((a) => typeof a === 'boolean') ? args.some(Boolean) : unresolved('or() of a non-boolean');
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'tolower':
      return str(0)?.toLowerCase() ?? unresolved('toLower() of a non-string');
    case 'toupper':
      return str(0)?.toUpperCase() ?? unresolved('toUpper() of a non-string');
    case 'string':
      return typeof args[0] === 'object' && args[0] !== null ? JSON.stringify(args[0]) : String(args[0]);
    case 'int': {
      const n = typeof args[0] === 'number' ? args[0] : Number(str(0));
      return Number.isInteger(n) ? n : unresolved('int() of a non-integer');
    }
    case 'bool':
      return typeof args[0] === 'boolean' ? args[0] : str(0)?.toLowerCase() === 'true';
    case 'add':
    case 'sub':
    case 'mul': {
      const [a, b] = args;
      if (typeof a !== 'number' || typeof b !== 'number') return unresolved(`${name}() of non-numbers`);
      return name === 'add' ? a + b : name === 'sub' ? a - b : a * b;
    }
    case 'length': {
      const v = args[0];
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      return typeof v === 'object' && v !== null ? Object.keys(v).length : unresolved('length() of a scalar');
    }
    case 'empty': {
      const v = args[0];
      if (v === null || v === undefined) return true;
      if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
      return typeof v === 'object' ? Object.keys(v).length === 0 : unresolved('empty() of a scalar');
    }
    case 'json': {
      const text = str(0);
      if (text === undefined) return unresolved('json() of a non-string');
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return unresolved('json() of text that is not JSON');
      }
    }
    case 'greater':
    case 'greaterorequals':
    case 'less':
    case 'lessorequals': {
      const [a, b] = args;
      const comparable = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
      if (!comparable) return unresolved(`${name}() of values that are not both numbers or both strings`);
      const order = a < b ? -1 : a > b ? 1 : 0;
      return name === 'greater' ? order > 0 : name === 'greaterorequals' ? order >= 0 : name === 'less' ? order < 0 : order <= 0;
    }
    case 'createarray':
      return args;
    case 'coalesce':
      return args.find((a) => a !== null && a !== undefined) ?? null;
    default:
      return unresolved(`${name}() is not evaluated offline`);
  }
}

/** `resourceId([subscriptionId], [resourceGroup], 'Namespace/type[/child]', name, [childName])`. */
function resourceId(args: readonly unknown[], scope: ExpressionScope): unknown {
  if (!args.every((a) => typeof a === 'string')) return unresolved('resourceId() of non-strings');
  const strings = args as string[];
  const typeAt = strings.findIndex((a) => /^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+\/[^/]/.test(a));
  if (typeAt < 0 || typeAt > 2) return unresolved('resourceId() without a resource type');
  const [subscriptionId, resourceGroup] =
    typeAt === 2 ? [strings[0] ?? '', strings[1] ?? ''] : typeAt === 1 ? [scope.subscriptionId, strings[0] ?? ''] : [scope.subscriptionId, scope.resourceGroup];
  const [namespace, ...types] = (strings[typeAt] ?? '').replace(/\/+$/, '').split('/');
  const names = strings.slice(typeAt + 1).flatMap((n) => n.split('/'));
  if (names.length !== types.length || names.some((n) => n === '')) {
    return unresolved(`resourceId() has ${names.length} name(s) for ${types.length} type segment(s)`);
  }
  const path = types.flatMap((t, i) => [t, names[i] ?? '']).join('/');
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${namespace ?? ''}/${path}`;
}
