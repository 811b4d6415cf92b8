/**
 * Application gateways: the REST examples of ../shared/corpus parsed in place, the az CLI shape,
 * bad input named by field, and the public path a gateway's public frontend gives its own subnet.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEstate, type EstateDocument } from '../../lib/estate/load.js';
import { gatewayGeneration } from '../../lib/estate/load-services.js';
import { describeEntry, publicPathOf } from '../../lib/estate/public-paths.js';
import { relateEstate } from '../../lib/estate/relations.js';
import { CORPUS, readJson } from './corpus.js';

const NETWORK = resolve(CORPUS, 'rest-api-examples/2024-07-01');

function bodies(file: string): EstateDocument[] {
  const example = readJson(resolve(NETWORK, file)) as { responses: Record<string, { body?: unknown }> };
  return Object.entries(example.responses).flatMap(([status, r]) => (r.body === undefined ? [] : [{ source: `${file}#${status}`, json: r.body }]));
}

const RG = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network';

describe('application gateways from the REST examples', () => {
  it.each(['ApplicationGatewayGet.json', 'ApplicationGatewayList.json'])('%s: subnet, frontend, listeners and SKU (and nothing left unused)', (file) => {
    const estate = loadEstate(bodies(file));
    expect(estate.errors).toEqual([]);
    expect(estate.sources.map((s) => s.ignoredTypes)).toEqual([{}]);
    const [gateway] = [...estate.applicationGateways.values()];
    expect(gateway?.name).toBe('appgw');
    expect([gateway?.skuName, gateway?.skuTier, gateway?.generation]).toEqual(['Standard_Medium', 'Standard', 'v1']);
    expect(gateway?.subnets.map((s) => s.id)).toEqual(['/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/virtualNetwork1/subnets/appgwsubnet']);
    expect(gateway?.frontends.map((f) => [f.name, f.publicIpAddress?.id.split('/').pop()])).toEqual([['appgwfip', 'appgwpip']]);
    expect(gateway?.listeners.map((l) => [l.name, l.port, l.protocol])).toEqual([
      ['appgwhl', 443, 'Https'],
      ['appgwhttplistener', 80, 'Http'],
    ]);
  });

  it('gives its subnet a public path on its listeners\' ports, named as the gateway', () => {
    const network = {
      id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/virtualNetwork1',
      name: 'virtualNetwork1',
      type: 'Microsoft.Network/virtualNetworks',
      properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] }, subnets: [{ name: 'appgwsubnet', properties: { addressPrefix: '10.0.0.0/24' } }] },
    };
    const estate = loadEstate([...bodies('ApplicationGatewayGet.json'), { source: 'network', json: network }]);
    const point = relateEstate(estate).attachments.find((p) => p.kind === 'subnet' && p.name === 'appgwsubnet');
    expect(point).toBeDefined();
    if (!point) return;
    const path = publicPathOf(estate, point);
    expect(path.state).toBe('known');
    if (path.state !== 'known') return;
    expect(path.entries.map(describeEntry)).toEqual(['application gateway appgw frontend appgwfip TCP 443, 80 (listeners appgwhl, appgwhttplistener)']);
  });
});

describe('application gateways in other shapes', () => {
  const gateway = (extra: Record<string, unknown>) => ({
    id: `${RG}/applicationGateways/agw`,
    name: 'agw',
    type: 'Microsoft.Network/applicationGateways',
    sku: { name: 'WAF_v2', tier: 'WAF_v2' },
    gatewayIPConfigurations: [{ name: 'gw', subnet: { id: `${RG}/virtualNetworks/v/subnets/snet-agw` } }],
    frontendIPConfigurations: [
      { id: `${RG}/applicationGateways/agw/frontendIPConfigurations/public`, name: 'public', publicIPAddress: { id: `${RG}/publicIPAddresses/pip-agw` } },
      { id: `${RG}/applicationGateways/agw/frontendIPConfigurations/private`, name: 'private', privateIPAddress: '10.1.0.10' },
    ],
    frontendPorts: [{ id: `${RG}/applicationGateways/agw/frontendPorts/p8443`, name: 'p8443', port: 8443 }],
    httpListeners: [
      { name: 'inside', frontendIPConfiguration: { id: `${RG}/applicationGateways/agw/frontendIPConfigurations/private` }, frontendPort: { id: `${RG}/applicationGateways/agw/frontendPorts/p8443` } },
    ],
    ...extra,
  });

  it('reads az network application-gateway list output (flattened); a listener on a private frontend gives no public path', () => {
    const network = { id: `${RG}/virtualNetworks/v`, name: 'v', type: 'Microsoft.Network/virtualNetworks', addressSpace: { addressPrefixes: ['10.1.0.0/16'] }, subnets: [{ name: 'snet-agw', addressPrefix: '10.1.0.0/24' }] };
    const estate = loadEstate([{ source: 'az.json', json: [network, gateway({}), { id: `${RG}/publicIPAddresses/pip-agw`, name: 'pip-agw', type: 'Microsoft.Network/publicIPAddresses', ipAddress: '20.1.2.3', sku: { name: 'Standard' } }] }]);
    expect(estate.errors).toEqual([]);
    const agw = estate.applicationGateways.get(`${RG}/applicationGateways/agw`.toLowerCase());
    expect(agw?.generation).toBe('v2');
    expect(agw?.listeners.map((l) => [l.name, l.port])).toEqual([['inside', 8443]]);
    const point = relateEstate(estate).attachments.find((p) => p.name === 'snet-agw');
    const path = point ? publicPathOf(estate, point) : undefined;
    expect(path).toEqual({ state: 'known', entries: [], notes: ['no application gateway in snet-agw has a listener on a public frontend'] });
  });

  it('a frontend port that is not a port is an error naming the gateway and the field; the rest goes on', () => {
    const estate = loadEstate([{ source: 'bad.json', json: [gateway({ frontendPorts: [{ name: 'p', port: 70000 }] }), { id: `${RG}/networkSecurityGroups/n`, name: 'n', type: 'Microsoft.Network/networkSecurityGroups' }] }]);
    expect(estate.errors).toEqual([{ resourceId: `${RG}/applicationGateways/agw`, field: 'frontendPorts[0].port', message: "frontendPorts[0].port '70000' is not a port 1-65535 (in bad.json)" }]);
    expect(estate.applicationGateways.size).toBe(0);
    expect(estate.networkSecurityGroups.size).toBe(1);
  });

  it.each([
    ['Standard_v2', 'Standard_v2', 'v2'],
    ['WAF_v2', 'WAF_v2', 'v2'],
    ['Standard_Small', 'Standard', 'v1'],
    ['WAF_Large', 'WAF', 'v1'],
    [undefined, undefined, undefined],
    ['Basic', 'Basic', undefined],
  ])('SKU %s / %s is %s', (name, tier, generation) => {
    expect(gatewayGeneration(name, tier)).toBe(generation);
  });
});
