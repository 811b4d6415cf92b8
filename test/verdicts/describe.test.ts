import { describe, expect, it } from 'vitest';
import { addressDifference, addressesFromPrefixes, createContext, namedSet } from '../../lib/nsg/index.js';
import { describeAddresses } from '../../lib/verdicts/describe.js';

const ctx = createContext({ virtualNetworkPrefixes: ['10.0.0.0/16', '10.1.0.0/16'] });
const set = (...prefixes: string[]) => addressesFromPrefixes(prefixes).set;

describe('describeAddresses names the sets a person knows', () => {
  it.each([
    ['the VirtualNetwork space', set('10.0.0.0/16', '10.1.0.0/16'), 'the virtual network and its connected networks (VirtualNetwork)'],
    [
      'VirtualNetwork less the Bastion subnet',
      addressDifference(set('10.0.0.0/16', '10.1.0.0/16'), set('10.0.1.0/26')),
      'the virtual network and its connected networks (VirtualNetwork) except 10.0.1.0/26',
    ],
    ['every IPv4 address less two', addressDifference(set('0.0.0.0/0'), set('10.0.1.0/26', '168.63.129.16/32')), 'any IPv4 address except 10.0.1.0/26 and 168.63.129.16/32'],
    ['a few prefixes', set('203.0.113.0/24', '198.51.100.7/32'), '198.51.100.7/32 and 203.0.113.0/24'],
    ['the Internet', namedSet(ctx, 'Internet'), 'any Internet address'],
  ])('%s', (_what, addresses, expected) => {
    expect(describeAddresses(addresses, ctx)).toBe(expected);
  });

  it('a large set that is no named one keeps its count and first prefixes', () => {
    expect(describeAddresses(set('10.0.0.0/24', '10.0.2.0/24', '10.0.4.0/24', '10.0.6.0/24'), ctx)).toMatch(/^1,024 IPv4 addresses \(10\.0\.0\.0\/24, .* and 1 more prefixes\)$/);
  });
});
