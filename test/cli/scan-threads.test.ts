/**
 * `nsgwatch scan` on several threads: real worker threads (running the TypeScript sources through
 * tsx here, the built code in dist/ from bin/nsgwatch.js) over generated estates, whose report is
 * byte for byte the single-threaded one in every format; the threads asked for, when the scan
 * splits by itself, and how the rules are dealt.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SCALE, scaleEstate } from '../../bench/scan.bench.js';
import { main } from '../../lib/cli/main.js';
import { dealRules, IDLE_CORES_FOR_TWO, parseThreads, startWorker, threadCount, THREADS_FROM_BYTES } from '../../lib/cli/scan-threads.js';
import { RULES, ruleFromPolicy } from '../../lib/rules/index.js';
import { parsePolicies } from '../../lib/policy/parse.js';
import { capture } from '../support/cli-io.js';

const dir = mkdtempSync(join(tmpdir(), 'nsgwatch-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

/** Small enough for a test, large enough that every rule finds something to say. */
const SMALL = { ...SCALE, vnets: 20, nsgs: 200, nics: 600, natGateways: 4, hugeNsgs: 1, scaleSets: 3, instancesPerScaleSet: 10, publicIps: 40, loadBalancers: 8, adminRules: 10 };
/** Input of at least the size from which a scan splits by itself (checked below). */
const SPLITS = { ...SMALL, vnets: 40, nsgs: 400, nics: 3000, hugeNsgs: 2 };
const POLICY = `policies:
  - id: ORG-100
    title: No SSH from the Internet to any workload
    message: SSH is reachable from the Internet
    severity: high
    deny:
      - direction: inbound
        from: [Internet]
        protocol: Tcp
        ports: [22]
`;

let small = '';
let splits = '';
let policy = '';
beforeAll(() => {
  small = join(dir, 'small.json');
  splits = join(dir, 'splits.json');
  policy = join(dir, 'policy.yaml');
  writeFileSync(small, JSON.stringify(scaleEstate(SMALL)));
  const text = JSON.stringify(scaleEstate(SPLITS));
  if (text.length < THREADS_FROM_BYTES) throw new Error(`the estate that splits holds ${text.length} bytes, under ${THREADS_FROM_BYTES}`);
  writeFileSync(splits, text);
  writeFileSync(policy, POLICY);
});

async function scan(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = capture({ cwd: dir });
  const code = await main(['scan', ...argv, '--progress'], io);
  return { code, out: io.out(), err: io.err() };
}

/**
 * Under the test runner a worker runs the TypeScript sources through `--import tsx`, which worker
 * threads honour from Node.js 22 (the deployment runs 24; `bash .ci/run` provides it). On an older
 * Node.js the tests that start real workers skip and say so; the built CLI's workers need no hooks.
 */
const SOURCE_WORKERS = Number(process.versions.node.split('.')[0]) >= 22;
const WORKERS_SKIPPED = `skipped: Node.js ${process.versions.node} does not apply --import hooks in worker threads (22 or later does)`;
if (!SOURCE_WORKERS) console.warn(`test/cli/scan-threads.test.ts: the tests that start real workers ${WORKERS_SKIPPED}`);

describe('nsgwatch scan --threads: the same report on any number of threads', () => {
  for (const format of ['json', 'table', 'sarif'] as const) {
    it.skipIf(!SOURCE_WORKERS)(`${format}: an input large enough to split, on two threads, gives the single-threaded report byte for byte`, async () => {
      const args = ['splits.json', '--policy', 'policy.yaml', '--format', format, '--allow-unjudged'];
      const one = await scan([...args, '--threads', '1']);
      const two = await scan([...args, '--threads', '2']);
      expect(one.err).not.toContain('worker thread');
      // The worker really ran its share: it says which rules, and none fell back to this thread.
      expect(two.err).toContain('evaluating on 2 threads');
      expect(two.err).toMatch(/a worker thread ran [A-Z]{3}-\d{3}/);
      expect(two.err).not.toContain('failed');
      expect(one.out.length).toBeGreaterThan(10_000);
      expect(two.code).toBe(one.code);
      expect(two.out === one.out).toBe(true);
    }, 120_000);
  }

  it.skipIf(!SOURCE_WORKERS)('three threads: the same JSON again, the rules dealt three ways', async () => {
    const one = await scan(['small.json', '--format', 'json', '--threads', '1']);
    const three = await scan(['small.json', '--format', 'json', '--threads', '3']);
    expect(three.err).toContain('evaluating on 3 threads');
    expect(three.err.match(/a worker thread ran/g)?.length).toBe(2);
    expect(three.out === one.out).toBe(true);
    const report = JSON.parse(one.out) as { findings: { ruleId: string }[] };
    expect(new Set(report.findings.map((f) => f.ruleId)).size).toBeGreaterThan(8);
  }, 120_000);

  it('auto: the input size and the idle cores decide, and the report is the same', async () => {
    const before = threadCount(undefined, statSync(splits).size);
    const auto = await scan(['splits.json', '--format', 'json']);
    const after = threadCount(undefined, statSync(splits).size);
    const one = await scan(['splits.json', '--format', 'json', '--threads', '1']);
    // The load average may move during the scan: only a decision both sides agree on is checked.
    if (before === 2 && after === 2) expect(auto.err).toContain('evaluating on 2 threads');
    if (before === 1 && after === 1) expect(auto.err).not.toContain('evaluating on');
    expect(auto.out === one.out).toBe(true);
  }, 120_000);

  it('a small estate stays on one thread; NSGWATCH_SCAN_THREADS asks for a number, --threads overrides it', async () => {
    expect((await scan(['small.json', '--format', 'json'])).err).not.toContain('evaluating on');
    vi.stubEnv('NSGWATCH_SCAN_THREADS', '1');
    expect((await scan(['splits.json', '--format', 'json'])).err).not.toContain('evaluating on');
    vi.stubEnv('NSGWATCH_SCAN_THREADS', '2');
    expect((await scan(['small.json', '--format', 'json'])).err).toContain('evaluating on 2 threads');
    expect((await scan(['small.json', '--format', 'json', '--threads', '1'])).err).not.toContain('evaluating on');
  }, 120_000);

  it('a thread count that is not a whole number from 1 to 64 is a usage error (exit 2) naming where it came from', async () => {
    const bad = await scan(['small.json', '--threads', '0']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--threads 0: expected a whole number of threads from 1 to 64, or auto');
    vi.stubEnv('NSGWATCH_SCAN_THREADS', 'many');
    const env = await scan(['small.json']);
    expect(env.code).toBe(2);
    expect(env.err).toContain('NSGWATCH_SCAN_THREADS many: expected a whole number');
  });
});

describe('threads: how many and which rules', () => {
  it('parses auto, whole numbers and nothing else', () => {
    expect(parseThreads(undefined, '--threads')).toBeUndefined();
    expect(parseThreads(' auto ', '--threads')).toBeUndefined();
    expect(parseThreads('4', '--threads')).toBe(4);
    for (const bad of ['0', '65', '1.5', '-1', 'two']) expect(parseThreads(bad, '--threads')).toBeInstanceOf(Error);
  });

  it('asked-for threads win; otherwise two for a large input when cores are idle for both threads and the collector', () => {
    expect(threadCount(3, 10, 0)).toBe(3);
    expect(threadCount(undefined, THREADS_FROM_BYTES - 1, 8)).toBe(1);
    expect(threadCount(undefined, THREADS_FROM_BYTES, IDLE_CORES_FOR_TWO)).toBe(2);
    expect(threadCount(undefined, THREADS_FROM_BYTES, 3.4)).toBe(2);
    // Two idle cores: the collector's helpers already take much of the second.
    expect(threadCount(undefined, THREADS_FROM_BYTES, 2)).toBe(1);
    expect(threadCount(undefined, THREADS_FROM_BYTES, 0.5)).toBe(1);
  });

  it('deals every rule once, in order per thread, the Internet-exposure policies together on this thread', () => {
    const parsed = parsePolicies(POLICY, 'policy.yaml');
    if (!parsed.ok) throw new Error('policy fixture is invalid');
    const rules = [...RULES, ...parsed.policies.map(ruleFromPolicy)];
    for (const threads of [1, 2, 3, 5]) {
      const dealt = dealRules(rules, threads);
      expect(dealt.flat().sort((a, b) => a - b)).toEqual(rules.map((_, i) => i));
      for (const share of dealt) expect([...share].sort((a, b) => a - b)).toEqual(share);
      const exposure = rules.flatMap((r, i) => (/^NSG-00[1-7]$/.test(r.meta.id) ? [i] : []));
      expect(exposure.every((i) => dealt[0]?.includes(i))).toBe(true);
      expect(dealt.length).toBe(threads);
    }
    // More threads than units: the surplus ones get nothing and are not started.
    expect(dealRules(rules.slice(0, 7), 4)).toEqual([[0, 1, 2, 3, 4, 5, 6]]);
  });

  it.skipIf(!SOURCE_WORKERS)('a worker that cannot do its job answers why (its rules then run on the main thread) instead of failing the scan', async () => {
    const missing = startWorker({ files: ['gone.json'], cwd: dir, serviceTags: undefined, policies: [], settings: {}, rules: [0] });
    expect(await missing.answer).toEqual({ ok: false, error: 'cannot read gone.json: no such file' });
    const beyond = startWorker({ files: ['small.json'], cwd: dir, serviceTags: undefined, policies: [], settings: {}, rules: [RULES.length] });
    expect(await beyond.answer).toEqual({ ok: false, error: `no rule at index ${RULES.length}` });
    const answered = startWorker({ files: ['small.json'], cwd: dir, serviceTags: undefined, policies: [], settings: {}, rules: [RULES.findIndex((r) => r.meta.id === 'NSG-010')] });
    const reply = await answered.answer;
    expect(reply.ok && reply.runs.map((r) => r.run.ruleId)).toEqual(['NSG-010']);
  }, 60_000);
});
