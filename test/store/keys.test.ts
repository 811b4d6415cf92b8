import { describe, expect, it } from 'vitest';
import { useAzurite } from '../support/azurite.js';
import { mulberry32 } from '../support/random.js';
import { createFindingsStore, encodeKeyPart, findingKey } from '../../lib/store/index.js';
import { historyRowKey, isFindingKey, partitionOfKey, transitionId } from '../../lib/store/keys.js';
import { evaluation, freshTables, makeFinding, SUB_A } from './support.js';

const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f/\\#?]/;

describe('encodeKeyPart', () => {
  const cases: [string, string][] = [
    ['abc-DEF_1.2', 'abc-DEF_1.2'],
    ['/', '~2f'],
    ['a/b#c?d\\e', 'a~2fb~23c~3fd~5ce'],
    ['~', '~7e'],
    ['!', '~21'],
    ["it's 100%", 'it~27s~20100~25'],
    ['\u0000\u001f\u007f', '~00~1f~7f'],
    ['é', '~c3~a9'],
    ['日本', '~e6~97~a5~e6~9c~ac'],
    ['😀', '~f0~9f~98~80'],
    ['', ''],
  ];
  it.each(cases)('%j → %s', (input, encoded) => {
    expect(encodeKeyPart(input)).toBe(encoded);
    expect(decodeURIComponent(encoded.replaceAll('~', '%'))).toBe(input);
  });

  it('is the per-character encoding of every code point, on random text (lone surrogates as U+FFFD)', () => {
    const random = mulberry32(17);
    const alphabet = ['a', 'Z', '0', '.', '_', '-', '/', '!', '~', ' ', '%', 'é', '日', '😀', '\u0000', '\ud800', '\udc00'];
    const byCharacter = (text: string): string =>
      [...text].map((char) => (/^[A-Za-z0-9._-]$/.test(char) ? char : [...Buffer.from(char, 'utf8')].map((b) => `~${b.toString(16).padStart(2, '0')}`).join(''))).join('');
    for (let n = 0; n < 2000; n++) {
      const text = Array.from({ length: Math.floor(random() * 24) }, () => alphabet[Math.floor(random() * alphabet.length)] ?? '').join('');
      expect(encodeKeyPart(text)).toBe(byCharacter(text));
    }
    expect(encodeKeyPart('a\ud800b')).toBe('a~ef~bf~bdb');
    expect(encodeKeyPart('\ud83d\ude00\ud83d')).toBe('~f0~9f~98~80~ef~bf~bd');
  });
});

const sub = `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups`;
const longName = 'x'.repeat(2048);
const idCases: [string, string, string][] = [
  ['plain', `${sub}/nsg-1`, ''],
  ['hash and question mark in the name', `${sub}/nsg#1?x=y`, 'rule#1'],
  ['backslash and quote', `${sub}/nsg\\o'brien`, "it's"],
  ['unicode', `${sub}/nsg-日本-é-😀`, 'ポート22'],
  ['control characters', `${sub}/nsg\u0001\u007f`, 'tab\there'],
  ['percent and plus', `${sub}/nsg%2F+1 2`, '%20'],
  ['2 KiB long id', `${sub}/${longName}`, ''],
  ['2 KiB long id, other ending', `${sub}/${longName}-other`, ''],
  ['2 KiB long scope', `${sub}/nsg-2`, 's'.repeat(2048)],
  ['2 KiB long scope, other ending', `${sub}/nsg-2`, `${'s'.repeat(2048)}-other`],
  ['outside a subscription', '/providers/Microsoft.Network/somewhere/else', ''],
];

describe('findingKey', () => {
  it.each(idCases)('%s: key-safe, ≤ 440 characters, case-insensitive on the id', (_name, id, scope) => {
    const key = findingKey('NSG-002', id, scope);
    expect(key).not.toMatch(FORBIDDEN);
    expect(key.length).toBeLessThanOrEqual(440);
    expect(isFindingKey(key)).toBe(true);
    expect(findingKey('NSG-002', id.toUpperCase(), scope)).toBe(key);
    const history = historyRowKey(transitionId(key, 123));
    expect(history).not.toMatch(FORBIDDEN);
    expect(history.length * 2).toBeLessThanOrEqual(1024);
  });

  it('gives every case a distinct key, and keeps the subscription as partition', () => {
    const keys = idCases.map(([, id, scope]) => findingKey('NSG-002', id, scope));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.slice(0, -1).map(partitionOfKey)).toEqual(Array(keys.length - 1).fill(SUB_A));
    expect(partitionOfKey(keys.at(-1)!)).toBe('unscoped');
  });

  it('never lets one resource prefix another', () => {
    expect(findingKey('R', `${sub}/n1`, '').startsWith(findingKey('R', `${sub}/n10`, '').split('!')[0]! + '!')).toBe(false);
  });
});

describe('keys against Table Storage', () => {
  const azurite = useAzurite();

  it.each(idCases)('%s: stored, found by id and by resource, resolved by a read', async (_name, id, scope) => {
    const store = createFindingsStore({
      connection: { kind: 'connectionString', connectionString: azurite.connectionString },
      tables: freshTables('keys'),
      retry: { maxRetries: 0 },
    });
    const finding = makeFinding('NSG-002', id, { scope });
    const sibling = makeFinding('NSG-002', `${id}-sibling`, { scope });
    const [opened] = await store.applyEvaluation(evaluation({ read: [id, sibling.resourceId], findings: [finding, sibling] }));
    const got = await store.getFinding(findingKey('NSG-002', id, scope));
    expect(got?.finding).toMatchObject({ resourceId: id, scope, fingerprint: finding.fingerprint, status: 'open' });
    expect(opened).toBeDefined();
    const byResource = await store.listFindings({ resource: id.toLowerCase() });
    expect(byResource.items.map((f) => f.resourceId)).toEqual([id]);
    const resolved = await store.applyEvaluation(evaluation({ read: [id.toUpperCase()] }));
    expect(resolved.map((t) => [t.kind, t.finding.resourceId])).toEqual([['resolved', id]]);
    expect((await store.getFinding(got!.finding.id))?.history.map((h) => h.kind)).toEqual(['opened', 'resolved']);
  });
});
