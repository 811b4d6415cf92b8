/**
 * Address terms — what a rule's source or destination, or a policy's far side, names — read from
 * text and resolved in a context. The one place a term becomes an address set (DESIGN §3).
 */
import type { AddressSet, AddressTerm, EvaluationContext } from './types.js';
import { NO_ADDRESS, addressIsEmpty, addressUnionAll, parseAddressPrefix } from './addresses.js';
import { namedSet, namedSetKind } from './context.js';
import { boundedText } from './describe-value.js';
import { assertNever } from './values.js';

/** A service tag or other named set as Azure spells them (`Storage.WestEurope`, `AzureCloud`). */
const TAG_NAME = /^[A-Za-z][A-Za-z0-9._-]*$/;

export type TermReading =
  | { ok: true; term: AddressTerm; hostBitsSet: boolean }
  | { ok: false; reason: 'notAPrefix'; message: string }
  | { ok: false; reason: 'notATerm'; message: string };

/** Reads one address entry: `*`/`Any`, an IP or CIDR prefix, or a named set (`Internet`, a service tag). */
export function readAddressTerm(value: string): TermReading {
  const text = value.trim();
  if (text === '*' || text.toLowerCase() === 'any') return { ok: true, term: { kind: 'any', text }, hostBitsSet: false };
  if (/^[0-9]/.test(text) || text.includes(':') || text.includes('/')) {
    const parsed = parseAddressPrefix(text);
    if (!parsed.ok) return { ok: false, reason: 'notAPrefix', message: parsed.message };
    return { ok: true, term: { kind: 'prefix', text, set: parsed.set }, hostBitsSet: parsed.hostBitsSet };
  }
  if (TAG_NAME.test(text)) return { ok: true, term: { kind: 'tag', text, key: text.toLowerCase() }, hostBitsSet: false };
  return { ok: false, reason: 'notATerm', message: `'${boundedText(text)}' is not an address, a CIDR prefix, * or a service tag name` };
}

/** The addresses one term stands for in a context. */
export function resolveTerm(term: AddressTerm, ctx: EvaluationContext): AddressSet {
  switch (term.kind) {
    case 'any':
      return namedSet(ctx, '*');
    case 'prefix':
      return term.set;
    case 'tag':
      // Words name the tag as written; the key decides.
      if (!ctx.memo.tagNames.has(term.key)) ctx.memo.tagNames.set(term.key, term.text);
      return namedSet(ctx, term.key);
    case 'asg':
      return ctx.asgAddresses.get(term.id) ?? NO_ADDRESS;
    default:
      return assertNever(term, 'address term');
  }
}

/** The union of the terms' addresses in a context. */
export function resolveTerms(terms: readonly AddressTerm[], ctx: EvaluationContext): AddressSet {
  if (terms.length === 1 && terms[0]) return resolveTerm(terms[0], ctx);
  // One sort and merge for all of them: linear in the prefixes, however many terms there are.
  return addressUnionAll(terms.map((term) => resolveTerm(term, ctx)));
}

/** Why a term matches no concrete address in a context, so a verdict through it rests on what is not known. */
export type TermGap =
  /** A service tag with no address data loaded: only rules naming the same tag match it. */
  | { kind: 'unresolvedTag'; key: string; text: string }
  /** An application security group with no known member address. */
  | { kind: 'emptyAsg'; id: string; text: string };

export function termGap(term: AddressTerm, ctx: EvaluationContext): TermGap | undefined {
  switch (term.kind) {
    case 'any':
    case 'prefix':
      return undefined;
    case 'tag':
      return namedSetKind(term.key, ctx) === 'unresolvedTag' ? { kind: 'unresolvedTag', key: term.key, text: term.text } : undefined;
    case 'asg':
      return addressIsEmpty(resolveTerm(term, ctx)) ? { kind: 'emptyAsg', id: term.id, text: term.text } : undefined;
    default:
      return assertNever(term, 'address term');
  }
}
