import { describe, expect, it } from 'vitest';
import {
  addressEquals,
  addressesFromPrefixes,
  createContext,
  namedSet,
  parseServiceTags,
  readAddressTerm,
  resolveTerm,
  resolveTerms,
  termGap,
  type AddressTerm,
} from '../../lib/nsg/index.js';

const ASG = '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/applicationSecurityGroups/web';
const EMPTY_ASG = '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/applicationSecurityGroups/none';
const tags = parseServiceTags({ values: [{ name: 'Storage', properties: { addressPrefixes: ['20.38.0.0/16'] } }] });
if (!tags.ok) throw new Error(tags.error);
const ctx = createContext({
  virtualNetworkPrefixes: ['10.1.0.0/16'],
  asgAddresses: { [ASG]: ['10.1.0.4'], [EMPTY_ASG]: [] },
  serviceTags: tags.data,
});
const set = (...prefixes: string[]) => addressesFromPrefixes(prefixes).set;

describe('readAddressTerm', () => {
  it.each([
    ['*', 'any'],
    [' Any ', 'any'],
    ['10.0.0.0/8', 'prefix'],
    ['2001:db8::/32', 'prefix'],
    ['Internet', 'tag'],
    ['Storage.WestEurope', 'tag'],
  ])('%j is a %s term', (text, kind) => {
    const read = readAddressTerm(text);
    expect(read.ok && read.term.kind).toBe(kind);
  });

  it.each([
    ['10.0.0.1/8', true],
    ['10.0.0.0/8', false],
  ])('%s: host bits set %s', (text, hostBits) => {
    const read = readAddressTerm(text);
    expect(read.ok && read.hostBitsSet).toBe(hostBits);
  });

  it.each([
    ['10.0.0.0/33', 'notAPrefix'],
    ['not a tag!', 'notATerm'],
    ['', 'notATerm'],
  ])('%j is refused (%s)', (text, reason) => {
    const read = readAddressTerm(text);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.reason).toBe(reason);
  });
});

describe('resolveTerm and termGap', () => {
  const term = (text: string): AddressTerm => {
    const read = readAddressTerm(text);
    if (!read.ok) throw new Error(read.message);
    return read.term;
  };
  const asg = (id: string): AddressTerm => ({ kind: 'asg', text: id, id: id.toLowerCase() });

  it.each([
    ['VirtualNetwork', set('10.1.0.0/16')],
    ['10.2.0.0/24', set('10.2.0.0/24')],
    ['storage', set('20.38.0.0/16')],
  ])('%s resolves to its addresses in the context, with no gap', (text, expected) => {
    expect(addressEquals(resolveTerm(term(text), ctx), expected)).toBe(true);
    expect(termGap(term(text), ctx)).toBeUndefined();
  });

  it('a member ASG resolves to its members; an ASG with none is a gap', () => {
    expect(addressEquals(resolveTerm(asg(ASG), ctx), set('10.1.0.4/32'))).toBe(true);
    expect(termGap(asg(ASG), ctx)).toBeUndefined();
    expect(termGap(asg(EMPTY_ASG), ctx)).toEqual({ kind: 'emptyAsg', id: EMPTY_ASG.toLowerCase(), text: EMPTY_ASG });
    expect(termGap(asg(`${ASG}-unknown`), ctx)?.kind).toBe('emptyAsg');
  });

  it('a tag with no data is a gap, named as written, and resolves to its own atom', () => {
    expect(termGap(term('AzureCloud'), ctx)).toEqual({ kind: 'unresolvedTag', key: 'azurecloud', text: 'AzureCloud' });
    expect(addressEquals(resolveTerm(term('AzureCloud'), ctx), namedSet(ctx, 'azurecloud'))).toBe(true);
  });

  it('the five names Azure defines are never gaps', () => {
    for (const text of ['*', 'Any', 'Internet', 'VirtualNetwork', 'AzureLoadBalancer']) expect(termGap(term(text), ctx)).toBeUndefined();
  });

  it('resolveTerms is the union of its terms', () => {
    expect(addressEquals(resolveTerms([term('10.2.0.0/24'), asg(ASG)], ctx), set('10.2.0.0/24', '10.1.0.4/32'))).toBe(true);
  });
});
