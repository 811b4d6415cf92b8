import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { capture } from '../support/cli-io.js';


describe('nsgwatch', () => {
  it('prints usage and exits 2 without a command', async () => {
    const io = capture();
    expect(await main([], io)).toBe(2);
    expect(io.out()).toContain('usage: nsgwatch <command>');
  });

  it('names an unknown command and exits 2', async () => {
    const io = capture();
    expect(await main(['scna'], io)).toBe(2);
    expect(io.err()).toContain("unknown command 'scna'");
  });

  it('exits 0 on --help', async () => {
    const io = capture();
    expect(await main(['--help'], io)).toBe(0);
  });
});
