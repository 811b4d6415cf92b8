import { describe, expect, it } from 'vitest';
import {
  ALL_PORTS,
  NO_PORTS,
  formatPorts,
  parsePorts,
  portContains,
  portCount,
  portDifference,
  portIntersect,
  portIsAll,
  portIsSubset,
  portSet,
  portUnion,
} from '../../lib/nsg/index.js';

describe('parsePorts', () => {
  it.each([
    [['*'], [0, 65535]],
    [['any'], [0, 65535]],
    [['0-65535'], [0, 65535]],
    [['22'], [22, 22]],
    [[' 22 '], [22, 22]],
    [[22], [22, 22]],
    [['0'], [0, 0]],
    [['65535'], [65535, 65535]],
    [['1000-2000'], [1000, 2000]],
    [['1000 - 2000'], [1000, 2000]],
    [['20-23', '3389'], [20, 23, 3389, 3389]],
    [['3389', '20-23'], [20, 23, 3389, 3389]],
    [['20-22', '23'], [20, 23]],
    [['20-30', '25-40'], [20, 40]],
    [['80', '80'], [80, 80]],
    [['0-1', '2-65535'], [0, 65535]],
    [[], []],
  ])('%j → %j', (entries, expected) => {
    expect(parsePorts(entries)).toEqual({ ok: true, ports: expected });
  });

  it.each([
    [['70000'], 'port 70000 is outside 0-65535'],
    [['65536'], 'port 65536 is outside 0-65535'],
    [['1-70000'], "port range '1-70000' is outside 0-65535"],
    [['30-20'], "port range '30-20' ends before it starts"],
    [['-1'], "'-1' is not a port"],
    [['80,443'], "'80,443' is not a port"],
    [['http'], "'http' is not a port"],
    [[''], "'' is not a port"],
    [[22.5], 'port 22.5 is outside 0-65535'],
    [[null], 'port entry null is not a string'],
  ])('%j is an error: %s', (entries, message) => {
    const result = parsePorts(entries);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });
});

describe('port sets', () => {
  const web = portSet([80, 443]);
  const low = portSet([[0, 1023]]);
  it.each([
    ['union', portUnion(web, portSet([81])), [80, 81, 443, 443]],
    ['union merges adjacency', portUnion(portSet([[20, 22]]), portSet([23])), [20, 23]],
    ['intersect', portIntersect(web, portSet([[443, 8443]])), [443, 443]],
    ['intersect disjoint', portIntersect(web, portSet([22])), []],
    ['difference splits', portDifference(low, portSet([22])), [0, 21, 23, 1023]],
    ['difference of all', portDifference(ALL_PORTS, ALL_PORTS), []],
    ['difference from nothing', portDifference(NO_PORTS, web), []],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('answers membership, subset, count and all-ness', () => {
    expect(portContains(web, 443)).toBe(true);
    expect(portContains(web, 444)).toBe(false);
    expect(portIsSubset(portSet([80, 8443]), low)).toBe(false);
    expect(portIsSubset(portSet([22, 80]), low)).toBe(true);
    expect(portCount(ALL_PORTS)).toBe(65536);
    expect(portIsAll(portUnion(portSet([[0, 100]]), portSet([[101, 65535]])))).toBe(true);
    expect(portIsAll(portSet([[1, 65535]]))).toBe(false);
  });

  it('formats in rule syntax', () => {
    expect(formatPorts(ALL_PORTS)).toEqual(['*']);
    expect(formatPorts(portSet([22, [5985, 5986]]))).toEqual(['22', '5985-5986']);
  });

  it('rejects ports outside 0-65535 when built in code', () => {
    expect(() => portSet([70000])).toThrow(RangeError);
    expect(() => portSet([[5, 1]])).toThrow(RangeError);
  });
});
