import { describe, expect, it } from 'vitest';
import {
  ANY_ADDRESS,
  NO_ADDRESS,
  addressContains,
  addressCount,
  addressDifference,
  addressEquals,
  addressIntersect,
  addressIsEmpty,
  addressIsSubset,
  addressOverlaps,
  addressSample,
  addressToCidrs,
  addressUnion,
  cidrSummary,
  addressesFromPrefixes,
  formatAddresses,
  parseAddressPrefix,
  parseIp,
  tagAtom,
} from '../../lib/nsg/index.js';
import { mulberry32 } from '../support/random.js';

const set = (...prefixes: string[]) => {
  const { set: result, invalid } = addressesFromPrefixes(prefixes);
  expect(invalid).toEqual([]);
  return result;
};

describe('parseAddressPrefix', () => {
  it.each([
    ['0.0.0.0/0', ['0.0.0.0/0'], 4294967296, 0n],
    ['::/0', ['::/0'], 0, 2n ** 128n],
    ['10.0.0.0/8', ['10.0.0.0/8'], 16777216, 0n],
    ['10.1.2.3/32', ['10.1.2.3/32'], 1, 0n],
    ['10.1.2.3', ['10.1.2.3/32'], 1, 0n],
    ['255.255.255.255', ['255.255.255.255/32'], 1, 0n],
    ['2001:db8::/32', ['2001:db8::/32'], 0, 2n ** 96n],
    ['2001:DB8::1/128', ['2001:db8::1/128'], 0, 1n],
    ['2001:db8::1', ['2001:db8::1/128'], 0, 1n],
    ['::ffff:1.2.3.4/128', ['::ffff:102:304/128'], 0, 1n],
    [' 192.168.0.0/16 ', ['192.168.0.0/16'], 65536, 0n],
  ])('%s', (text, cidrs, ipv4, ipv6) => {
    const parsed = parseAddressPrefix(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(addressToCidrs(parsed.set)).toEqual(cidrs);
    expect(addressCount(parsed.set).ipv4).toBe(ipv4);
    expect(addressCount(parsed.set).ipv6).toBe(ipv6);
    expect(parsed.hostBitsSet).toBe(false);
  });

  it('reads a prefix with host bits set as its network, and says so', () => {
    const parsed = parseAddressPrefix('10.0.0.5/24');
    expect(parsed.ok && parsed.hostBitsSet).toBe(true);
    expect(parsed.ok && addressToCidrs(parsed.set)).toEqual(['10.0.0.0/24']);
  });

  it.each(['10.0.0.0/33', '0.0.0.0/00', '10.0.0.0/024', '::/0128', '10.0.0.0/ 8', '10.0.0.256', '10.0.0', '10.0.0.0/', '10.0.0.0/-1', '010.0.0.1', '1.2.3.4.5', '2001:db8::/129', 'fe80::1%eth0', '1::2::3', '10.0.0.1-10.0.0.5', ''])(
    '%j is not an address',
    (text) => {
      const parsed = parseAddressPrefix(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.message).toContain(`'${text.trim()}'`);
    },
  );

  it('parses IP literals of both families', () => {
    expect(parseIp('8.8.8.8')).toEqual({ family: 4, value: 0x08080808 });
    expect(parseIp('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIp('Internet')).toBeUndefined();
  });
});

describe('address set algebra', () => {
  it.each([
    ['adjacent /25s merge into a /24', addressUnion(set('10.0.0.0/25'), set('10.0.0.128/25')), ['10.0.0.0/24']],
    ['0.0.0.0/1 + 128.0.0.0/1 is every IPv4 address', addressUnion(set('0.0.0.0/1'), set('128.0.0.0/1')), ['0.0.0.0/0']],
    ['overlap merges', addressUnion(set('10.0.0.0/8'), set('10.1.0.0/16')), ['10.0.0.0/8']],
    ['duplicates merge', set('10.0.0.0/8', '10.0.0.0/8'), ['10.0.0.0/8']],
    ['families stay apart', set('0.0.0.0/0', '::/0'), ['0.0.0.0/0', '::/0']],
    ['intersection', addressIntersect(set('10.0.0.0/8'), set('10.1.2.0/24', '11.0.0.0/8')), ['10.1.2.0/24']],
    ['intersection across families is empty', addressIntersect(set('0.0.0.0/0'), set('::/0')), []],
    ['difference splits into blocks', addressDifference(set('10.0.0.0/30'), set('10.0.0.1')), ['10.0.0.0/32', '10.0.0.2/31']],
    ['difference of IPv6', addressDifference(set('::/0'), set('8000::/1')), ['::/1']],
    ['a range that is no CIDR prints as blocks', addressDifference(set('10.0.0.0/24'), set('10.0.0.0/32', '10.0.0.255/32')), ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/30', '10.0.0.8/29', '10.0.0.16/28', '10.0.0.32/27', '10.0.0.64/26', '10.0.0.128/26', '10.0.0.192/27', '10.0.0.224/28', '10.0.0.240/29', '10.0.0.248/30', '10.0.0.252/31', '10.0.0.254/32']],
  ])('%s', (_name, actual, cidrs) => {
    expect(addressToCidrs(actual)).toEqual(cidrs);
  });

  it('writes any IPv4 range as the fewest aligned blocks (2,000 random ranges against a reference)', () => {
    const random = mulberry32(17);
    // The reference: the largest aligned block at each start, in BigInt.
    const reference = (lo: bigint, hi: bigint): string[] => {
      const out: string[] = [];
      while (lo <= hi) {
        let size = lo === 0n ? 1n << 32n : lo & -lo;
        while (lo + size - 1n > hi) size >>= 1n;
        const n = Number(lo);
        out.push(`${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')}/${32 - (size.toString(2).length - 1)}`);
        lo += size;
      }
      return out;
    };
    const edges = [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1];
    for (let i = 0; i < 2_000; i++) {
      const pick = () => (random() < 0.2 ? (edges[Math.floor(random() * edges.length)] as number) : Math.floor(random() * 2 ** 32));
      const [lo, hi] = [pick(), pick()].sort((a, b) => a - b) as [number, number];
      const range = addressDifference(ANY_ADDRESS, addressUnion(lo > 0 ? set(...reference(0n, BigInt(lo - 1))) : NO_ADDRESS, hi < 2 ** 32 - 1 ? set(...reference(BigInt(hi + 1), 2n ** 32n - 1n)) : NO_ADDRESS));
      const v4 = addressIntersect(range, set('0.0.0.0/0'));
      expect(addressToCidrs(v4), `${lo}-${hi}`).toEqual(reference(BigInt(lo), BigInt(hi)));
    }
  });

  it('summarises a set as its first blocks and their number (500 random sets of scattered hosts and ranges, both families)', () => {
    const random = mulberry32(23);
    const host = () => [Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256)].join('.');
    for (let i = 0; i < 500; i++) {
      const prefixes = Array.from({ length: 1 + Math.floor(random() * 40) }, () => `${host()}/${8 + Math.floor(random() * 25)}`);
      if (random() < 0.3) prefixes.push(`2001:db8:${Math.floor(random() * 65536).toString(16)}::/${48 + Math.floor(random() * 80)}`);
      // A complement, as exposure sets are: the Internet less what a rule carves out.
      const value = random() < 0.5 ? addressDifference(ANY_ADDRESS, set(...prefixes)) : set(...prefixes);
      const concrete = { ...value, tags: { complement: false, names: [] } };
      const all = addressToCidrs(concrete);
      const limit = Math.floor(random() * 30);
      expect(cidrSummary(concrete, limit), prefixes.join(' ')).toEqual({ first: all.slice(0, limit), count: all.length });
    }
  });

  it('answers membership at the edges', () => {
    const s = set('10.0.0.0/24', '2001:db8::/127');
    expect(addressContains(s, '10.0.0.0')).toBe(true);
    expect(addressContains(s, '10.0.0.255')).toBe(true);
    expect(addressContains(s, '10.0.1.0')).toBe(false);
    expect(addressContains(s, '9.255.255.255')).toBe(false);
    expect(addressContains(s, '2001:db8::1')).toBe(true);
    expect(addressContains(s, '2001:db8::2')).toBe(false);
  });

  it('compares, tests subsets and overlap', () => {
    expect(addressEquals(set('10.0.0.0/25', '10.0.0.128/25'), set('10.0.0.0/24'))).toBe(true);
    expect(addressIsSubset(set('10.1.0.0/16'), set('10.0.0.0/8'))).toBe(true);
    expect(addressIsSubset(set('10.0.0.0/8'), set('10.1.0.0/16'))).toBe(false);
    expect(addressOverlaps(set('10.0.0.0/8'), set('10.255.255.255'))).toBe(true);
    expect(addressOverlaps(set('10.0.0.0/8'), set('11.0.0.0'))).toBe(false);
    expect(addressIsEmpty(addressDifference(ANY_ADDRESS, ANY_ADDRESS))).toBe(true);
  });
});

describe('unresolved service tags as symbolic atoms', () => {
  const tag = tagAtom('AzureCloud');
  it('* contains a tag; explicit CIDRs neither contain it nor are contained in it', () => {
    expect(addressIsSubset(tag, ANY_ADDRESS)).toBe(true);
    expect(addressIsSubset(tag, set('0.0.0.0/0', '::/0'))).toBe(false);
    expect(addressOverlaps(tag, set('0.0.0.0/0'))).toBe(false);
    expect(addressIsSubset(set('20.0.0.0/8'), tag)).toBe(false);
  });

  it('the same tag matches it, case-insensitively; another tag does not', () => {
    expect(addressContains(tag, 'azurecloud')).toBe(true);
    expect(addressContains(tag, 'AZURECLOUD')).toBe(true);
    expect(addressContains(tag, 'Storage')).toBe(false);
    expect(addressEquals(tagAtom('azurecloud'), tag)).toBe(true);
  });

  it('set algebra keeps tags apart from addresses', () => {
    const anyButTag = addressDifference(ANY_ADDRESS, tag);
    expect(addressContains(anyButTag, 'AzureCloud')).toBe(false);
    expect(addressContains(anyButTag, 'Storage')).toBe(true);
    expect(addressContains(anyButTag, '1.2.3.4')).toBe(true);
    expect(addressIsEmpty(addressIntersect(anyButTag, tag))).toBe(true);
    expect(formatAddresses(addressUnion(set('10.0.0.0/8'), tag))).toEqual(['10.0.0.0/8', 'tag:azurecloud']);
    expect(formatAddresses(anyButTag).at(-1)).toBe('every unresolved service tag except azurecloud');
  });
});

describe('counting and sampling', () => {
  it('counts IPv4 and IPv6 separately', () => {
    const count = addressCount(set('10.0.0.0/8', '2001:db8::/32'));
    expect(count.ipv4).toBe(2 ** 24);
    expect(count.ipv6).toBe(2n ** 96n);
    expect(addressCount(NO_ADDRESS)).toEqual({ ipv4: 0, ipv6: 0n, tags: { complement: false, names: [] } });
  });

  it.each([
    ['first address of the first interval', set('10.0.0.0/8', '1.2.3.0/24'), {}, '1.2.3.0'],
    ['public first when asked', set('10.0.0.0/8', '52.1.0.0/16'), { preferPublic: true }, '52.1.0.0'],
    ['private when nothing else', set('10.0.0.0/8'), { preferPublic: true }, '10.0.0.0'],
    ['public of everything', ANY_ADDRESS, { preferPublic: true }, '1.0.0.0'],
    ['IPv6 when no IPv4', set('2001:db8::/32'), {}, '2001:db8::'],
    ['global IPv6 preferred over unique-local', set('fd00::/8', '2603:1000::/24'), { preferPublic: true }, '2603:1000::'],
    ['a tag when nothing concrete', tagAtom('AzureCloud'), {}, 'azurecloud'],
  ])('%s', (_name, s, options, expected) => {
    expect(addressSample(s, options)).toBe(expected);
  });

  it('has nothing to sample from the empty set', () => {
    expect(addressSample(NO_ADDRESS)).toBeUndefined();
  });
});
