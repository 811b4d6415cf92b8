import { describe, expect, it } from 'vitest';
import { describeValue, parseNsg } from '../../lib/nsg/index.js';

function nested(depth: number): unknown {
  let value: unknown = 'Tcp';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('describeValue', () => {
  it.each([
    ['Gre', '"Gre"'],
    [42, '42'],
    [null, 'null'],
    [true, 'true'],
    [undefined, 'undefined'],
    [[], '[]'],
    [{}, '{}'],
    [['a', 1], '["a",1]'],
    [{ a: { b: { c: 1 } } }, '{"a":{"b":{…}}}'],
    [[[[1]]], '[[[…]]]'],
  ])('%j → %s', (value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it('stays within its length however large or deep the value is', () => {
    expect(describeValue('x'.repeat(1_000_000)).length).toBeLessThanOrEqual(120);
    expect(describeValue(Array.from({ length: 100_000 }, (_, i) => i)).length).toBeLessThanOrEqual(120);
    expect(describeValue(nested(200_000))).toBe('[[[…]]]');
  });

  it('lets the engine report a deeply nested rule field as an error, not a stack overflow', () => {
    const result = parseNsg({
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n',
      properties: {
        securityRules: [
          { name: 'deep', properties: { priority: 100, direction: 'Inbound', access: 'Allow', protocol: nested(200_000), sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '*' } },
        ],
      },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([expect.objectContaining({ rule: 'deep', field: 'protocol', message: expect.stringContaining('[[[…]]]') })]);
  });
});
