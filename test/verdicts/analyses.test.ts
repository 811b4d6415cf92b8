/** The view's memoised region analyses: shared while rules ask for them, let go once they stop. */
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import { createEstateView } from '../../lib/verdicts/view.js';
import { ALL_PORTS } from '../../lib/nsg/index.js';
import { nic, nsg, vnet } from '../rules/fixtures/build.js';

const estate = loadEstate([
  {
    source: 'estate.json',
    json: {
      value: [
        vnet('vnet-app', ['10.0.0.0/16'], [{ name: 'snet-vm', prefix: '10.0.1.0/24', nsg: 'nsg-vm' }]),
        nsg('nsg-vm', [{ name: 'allow-ssh', priority: 100, source: '*', ports: '22' }]),
        nic('nic-a', { vnet: 'vnet-app', subnet: 'snet-vm', ip: '10.0.1.4' }),
        nic('nic-b', { vnet: 'vnet-app', subnet: 'snet-vm', ip: '10.0.1.5' }),
      ],
    },
  },
]);

describe('region analyses across rules', () => {
  it('points of one NSG pair share one analysis; one no rule asked for during the last two rules is computed again, the same', () => {
    const view = createEstateView(estate);
    const [a, b] = view.points().filter((p) => p.point.kind === 'networkInterface');
    if (!a || !b) throw new Error('expected two NIC points');
    expect(a.pairKey).toBe(b.pairKey);
    const internet = view.remote(a.ctx, ['Internet']);
    const first = view.analyze(a, 'Inbound', 'Tcp', internet, ALL_PORTS);
    expect(view.analyze(b, 'Inbound', 'Tcp', internet, ALL_PORTS)).toBe(first);
    // Asked during the rule that ends and the next: kept.
    view.endRule();
    expect(view.analyze(a, 'Inbound', 'Tcp', internet, ALL_PORTS)).toBe(first);
    view.endRule();
    view.endRule();
    expect(view.analyze(a, 'Inbound', 'Tcp', internet, ALL_PORTS)).toBe(first);
    // Two rules without asking: let go, and the same answer when asked again.
    view.endRule();
    view.endRule();
    view.endRule();
    const again = view.analyze(b, 'Inbound', 'Tcp', internet, ALL_PORTS);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(again.analysis.parts.some((part) => part.access === 'Allow')).toBe(true);
  });
});
