import { policyRule } from './support/policy-rule.js';
import { DELETE_RULE, DOCS, restrictedInbound } from './support/remediation.js';

export const DATABASE_PORTS = [1433, 1434, 3306, 5432, 1521, '27017-27019', 6379, 9042, '7000-7001', 9200, 9300, 5984, 11211, 8086] as const;

export const rule = policyRule(
  {
    id: 'NSG-005',
    title: 'Database or cache ports reachable from the Internet',
    severity: 'high',
    category: 'exposure',
    description:
      'Fires when, at some attachment point, a database or cache port (SQL Server 1433/1434, MySQL 3306, PostgreSQL 5432, Oracle 1521, MongoDB 27017-27019, Redis 6379, Cassandra 9042 and 7000-7001, Elasticsearch 9200/9300, CouchDB 5984, memcached 11211, InfluxDB 8086; TCP or UDP) is allowed from a broad part of the Internet. Reported on the NSG whose Allow rule lets the traffic in.',
    rationale:
      'Data stores are not meant to face the Internet: exposed instances are found by scanners and attacked for their data or ransomed. Reach them over private endpoints, VNet peering or a VPN.',
    remediation: {
      az: DELETE_RULE,
      bicep: restrictedInbound('Tcp', '1433', 'Reach data stores privately; if a partner needs access, allow only its ranges'),
    },
    references: [DOCS.nsgOverview, 'https://learn.microsoft.com/azure/private-link/private-endpoint-overview'],
  },
  {
    id: 'NSG-005',
    severity: 'high',
    title: 'Database or cache ports reachable from the Internet',
    message: 'Database or cache ports are reachable from the Internet',
    deny: [{ label: 'database and cache ports from the Internet', direction: 'inbound', protocol: ['tcp', 'udp'], ports: DATABASE_PORTS, from: 'Internet', when: 'broad' }],
  },
);
