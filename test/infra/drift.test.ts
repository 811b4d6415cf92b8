/**
 * No Bicep compiler or Azure is reachable here, so this reads the deployment as text and fails
 * when it drifts from the code: settings, tables, queues, the event filter, roles, the names the
 * alert and workbook queries use, and a light syntax check of every Bicep file.
 */
import { INVENTORY_TYPES } from '../../lib/azure/arm.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  CONTAINERS,
  EVENT_PROPERTIES,
  EVENTS,
  FUNCTIONS,
  METRICS,
  QUEUES,
  SETTINGS,
  SUBSCRIBED_EVENT_TYPES,
  TABLES,
  EVENT_FILTER_RESOURCE_TYPES,
  WATCHED_RESOURCE_TYPES,
} from '../../lib/config/names.js';
import { isWatchedType } from '../../lib/azure/scopes.js';
import { SEVERITIES } from '../../lib/verdicts/finding.js';
import {
  blockAfter,
  bracketsBalance,
  codeOnly,
  modules,
  objectKeys,
  outputs,
  params,
  resources,
  stringArray,
  stripComments,
  targetScope,
} from './bicep.js';

const ROOT = process.cwd();
const INFRA = resolve(ROOT, 'infra');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const ALL_FILES = filesUnder(INFRA);
const BICEP = ALL_FILES.filter((f) => f.endsWith('.bicep'));
const read = (path: string): string => readFileSync(path, 'utf8');
const infra = (path: string): string => read(resolve(INFRA, path));
const label = (path: string): string => relative(ROOT, path);

/** Built-in role definitions the deployment may assign, and why. */
const ALLOWED_ROLES: Record<string, string> = {
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  'd5a91429-5739-47e2-a06b-3470a27159e7': 'EventGrid Data Sender',
  // The system topics' identities, on the dead-letter container only.
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  // The operator who ran azd, read-only on the findings.
  '76199698-9eea-4c19-bc75-cec21354c6b6': 'Storage Table Data Reader',
};
const REQUIRED_ROLES = ['Storage Table Data Contributor', 'Storage Queue Data Contributor', 'Monitoring Metrics Publisher', 'EventGrid Data Sender'];
const BROAD_ROLES: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': 'Storage Account Contributor',
  '4d97b98b-1d4f-4787-a291-c67834d212e7': 'Network Contributor',
  // Read on everything in the subscription: the custom network reader role takes its place.
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
};

/** Settings only a local run uses; the deployment must never set them. */
const LOCAL_ONLY_SETTINGS: string[] = [
  // A connection string carries an account key; in Azure the host and the code use AzureWebJobsStorage__accountName.
  SETTINGS.storageConnectionString,
];

/** Parse on first use, inside a test, so a broken file fails its tests instead of the whole file. */
function lazy<T>(compute: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: compute() }).v;
}

const GUID = /'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/gi;

describe('Bicep syntax sanity', () => {
  it('finds the deployment files', () => {
    expect(BICEP.map(label).sort()).toEqual(
      expect.arrayContaining(['infra/main.bicep', 'infra/events.bicep', 'infra/modules/function-app.bicep', 'infra/modules/storage.bicep']),
    );
  });

  it.each(BICEP.map(label))('%s: brackets balance and strings close', (file) => {
    expect(bracketsBalance(read(resolve(ROOT, file)))).toBeUndefined();
  });

  it.each(BICEP.map(label))('%s: every param is used', (file) => {
    const text = read(resolve(ROOT, file));
    const code = codeOnly(text);
    const unused = params(text).filter((p) => (code.match(new RegExp(`\\b${p.name}\\b`, 'g')) ?? []).length < 2);
    expect(unused.map((p) => p.name)).toEqual([]);
  });

  it.each(BICEP.map(label))('%s: every module exists, gets only its params and every required one', (file) => {
    const path = resolve(ROOT, file);
    for (const use of modules(read(path))) {
      const target = resolve(dirname(path), use.path);
      expect(existsSync(target), `${file}: module ${use.symbol} → ${use.path}`).toBe(true);
      const declared = params(read(target));
      const names = declared.map((p) => p.name);
      expect(use.params.filter((p) => !names.includes(p)), `${file}: ${use.symbol} passes undeclared params`).toEqual([]);
      const required = declared.filter((p) => !p.hasDefault).map((p) => p.name);
      expect(required.filter((p) => !use.params.includes(p)), `${file}: ${use.symbol} misses required params`).toEqual([]);
    }
  });

  it.each(BICEP.map(label))('%s: every module output it reads is declared', (file) => {
    const path = resolve(ROOT, file);
    const text = read(path);
    const bySymbol = new Map(modules(text).map((m) => [m.symbol, outputs(read(resolve(dirname(path), m.path)))]));
    for (const m of codeOnly(text).matchAll(/\b(\w+)(?:\[\w+\])?\.outputs\.(\w+)/g)) {
      const declared = bySymbol.get(m[1] as string);
      expect(declared, `${file}: ${m[1]} is not a module`).toBeDefined();
      expect(declared, `${file}: ${m[1]}.outputs.${m[2]}`).toContain(m[2]);
    }
  });

  it.each(BICEP.map(label))('%s: every loaded file exists', (file) => {
    const path = resolve(ROOT, file);
    for (const m of stripComments(read(path)).matchAll(/load(?:Text|Json)Content\('([^']+)'\)/g)) {
      expect(existsSync(resolve(dirname(path), m[1] as string)), `${file}: ${m[1]}`).toBe(true);
    }
  });

  it('deploys the app at subscription scope, and the per-subscription pieces at subscription scope', () => {
    expect(targetScope(infra('main.bicep'))).toBe('subscription');
    expect(targetScope(infra('events.bicep'))).toBe('subscription');
    expect(targetScope(infra('modules/subscription-reader.bicep'))).toBe('subscription');
    expect(targetScope(infra('modules/watched-subscription-events.bicep'))).toBe('subscription');
  });

  it('uses the stable API versions', () => {
    const types = BICEP.flatMap((f) => resources(read(f)).map((r) => r.type));
    const expected = [
      'Microsoft.Web/sites@2025-03-01',
      'Microsoft.Web/serverfarms@2025-03-01',
      'Microsoft.EventGrid/systemTopics@2025-02-15',
      'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15',
      'Microsoft.EventGrid/topics@2025-02-15',
      'Microsoft.Storage/storageAccounts@2025-06-01',
      'Microsoft.Insights/scheduledQueryRules@2026-03-01',
      'Microsoft.Authorization/roleAssignments@2022-04-01',
    ];
    expect(types).toEqual(expect.arrayContaining(expected));
    expect(types.filter((t) => t.includes('-preview'))).toEqual([]);
  });
});

describe('main.parameters.json and azure.yaml', () => {
  const parameters = JSON.parse(infra('main.parameters.json')) as { parameters: Record<string, { value: unknown }> };

  it('maps the azd environment onto main.bicep parameters that exist', () => {
    expect(parameters.parameters['environmentName']?.value).toBe('${AZURE_ENV_NAME}');
    expect(parameters.parameters['location']?.value).toBe('${AZURE_LOCATION}');
    expect(parameters.parameters['principalId']?.value).toBe('${AZURE_PRINCIPAL_ID}');
    const declared = params(infra('main.bicep'));
    expect(Object.keys(parameters.parameters).filter((p) => !declared.some((d) => d.name === p))).toEqual([]);
    const required = declared.filter((d) => !d.hasDefault).map((d) => d.name);
    expect(required.filter((p) => !(p in parameters.parameters))).toEqual([]);
  });

  it('deploys the staged Functions app with hooks that exist', () => {
    const azure = parseYaml(read(resolve(ROOT, 'azure.yaml'))) as {
      services: Record<string, { language: string; host: string; project: string; remoteBuild: boolean }>;
      hooks: Record<string, Record<'posix' | 'windows', { run: string }>>;
    };
    // The compiled app and its production dependencies, staged by infra/hooks/stage-app.mjs.
    expect(Object.values(azure.services)).toEqual([{ project: '.deploy', language: 'js', host: 'function', remoteBuild: false }]);
    expect(existsSync(resolve(ROOT, '.deploy', 'README.md'))).toBe(true);
    for (const hook of ['preprovision', 'prepackage', 'predeploy', 'postdeploy', 'predown']) {
      for (const os of ['posix', 'windows'] as const) {
        const run = azure.hooks[hook]?.[os]?.run.replace(/^node /, '');
        expect(run && existsSync(resolve(ROOT, run)), `${hook} ${os}: ${run}`).toBe(true);
      }
    }
    // azd finds the function app by this tag.
    expect(infra('modules/function-app.bicep')).toContain(`'azd-service-name': '${Object.keys(azure.services)[0]}'`);
  });

  it('the postdeploy hooks pass events.bicep exactly its parameters, from values main.bicep outputs', () => {
    const eventParams = params(infra('events.bicep'));
    const mainOutputs = outputs(infra('main.bicep'));
    const azdBuiltIns = ['AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_SUBSCRIPTION_ID'];
    for (const hook of ['hooks/postdeploy.sh', 'hooks/postdeploy.ps1']) {
      const text = infra(hook);
      const block = text.slice(text.indexOf('--parameters'), text.indexOf('--output none', text.indexOf('--parameters')));
      const passed = [...block.matchAll(/^\s+(\w+)=\S+/gm)].map((m) => m[1] as string);
      expect(passed.filter((p) => !eventParams.some((d) => d.name === p)), hook).toEqual([]);
      expect(eventParams.filter((p) => !p.hasDefault && !passed.includes(p.name)).map((p) => p.name), hook).toEqual([]);
      const variables = [...text.matchAll(/\$(?:env:)?\{?((?:AZURE|NSGWATCH)_\w+)/g)].map((m) => m[1] as string);
      expect(variables.length).toBeGreaterThan(5);
      for (const v of variables) expect([...mainOutputs, ...azdBuiltIns], `${hook} reads ${v}`).toContain(v);
    }
  });

  it('the predown hooks read only values main.bicep outputs', () => {
    const mainOutputs = outputs(infra('main.bicep'));
    for (const hook of ['hooks/predown.sh', 'hooks/predown.ps1']) {
      for (const m of infra(hook).matchAll(/\$(?:env:)?\{?(NSGWATCH_\w+)/g)) expect(mainOutputs, hook).toContain(m[1]);
    }
  });
});

describe('app settings', () => {
  const main = infra('main.bicep');
  const functionApp = infra('modules/function-app.bicep');
  const settings = lazy(() => [...objectKeys(blockAfter(main, /^var appSettings\s*=/m)), ...objectKeys(blockAfter(functionApp, 'union(appSettings,'))]);

  it('sets every setting the code reads', () => {
    const needed = Object.values(SETTINGS).filter((s) => !LOCAL_ONLY_SETTINGS.includes(s));
    expect(needed.filter((s) => !settings().includes(s))).toEqual([]);
  });

  it('sets no setting the code does not know, apart from the host storage identity', () => {
    const known = new Set<string>([...Object.values(SETTINGS), 'AzureWebJobsStorage__credential', 'AzureWebJobsStorage__clientId']);
    expect(settings().filter((s) => !known.has(s))).toEqual([]);
  });

  it('never sets a key-based connection string', () => {
    for (const s of LOCAL_ONLY_SETTINGS) expect(settings()).not.toContain(s);
  });

  it('connects host storage with the user-assigned identity', () => {
    const block = blockAfter(functionApp, 'union(appSettings,');
    expect(block).toMatch(/AzureWebJobsStorage__credential:\s*'managedidentity'/);
    expect(block).toMatch(/AzureWebJobsStorage__clientId:\s*identityClientId/);
    expect(blockAfter(main, /^var appSettings\s*=/m)).toMatch(/APPLICATIONINSIGHTS_AUTHENTICATION_STRING:\s*'Authorization=AAD;ClientId=\$\{identity\.outputs\.clientId\}'/);
  });
});

describe('storage: tables, queues and containers the code uses', () => {
  const storage = infra('modules/storage.bicep');

  it('declares exactly the tables in TABLES', () => {
    expect(stringArray(blockAfter(storage, /^var tableNames\s*=/m, '[')).sort()).toEqual(Object.values(TABLES).sort());
  });

  it('declares exactly the queues in QUEUES', () => {
    expect(stringArray(blockAfter(storage, /^var queueNames\s*=/m, '[')).sort()).toEqual(Object.values(QUEUES).sort());
  });

  it('declares the dead-letter container, and the event wiring dead-letters into it', () => {
    expect(storage).toContain(`var deadLetterContainerName = '${CONTAINERS.eventDeadLetters}'`);
    expect(params(infra('events.bicep')).find((p) => p.name === 'deadLetterContainerName')?.hasDefault).toBe(true);
    expect(infra('events.bicep')).toContain(`param deadLetterContainerName string = '${CONTAINERS.eventDeadLetters}'`);
  });

  it('allows Entra ID only, TLS 1.2, no public blobs', () => {
    const account = resources(storage).find((r) => r.type.startsWith('Microsoft.Storage/storageAccounts@'));
    expect(account?.body).toMatch(/allowSharedKeyAccess:\s*false/);
    expect(account?.body).toMatch(/minimumTlsVersion:\s*'TLS1_2'/);
    expect(account?.body).toMatch(/allowBlobPublicAccess:\s*false/);
    expect(account?.body).toMatch(/supportsHttpsTrafficOnly:\s*true/);
  });
});

describe('the event subscription', () => {
  const topic = infra('modules/system-topic-events.bicep');
  const subscription = lazy(() => resources(topic).find((r) => r.type.startsWith('Microsoft.EventGrid/systemTopics/eventSubscriptions@')));

  it('filters on exactly EVENT_FILTER_RESOURCE_TYPES, which let every watched type through and no parent twice', () => {
    const types = stringArray(blockAfter(topic, /^var watchedResourceTypes\s*=/m, '['));
    expect(new Set(types).size).toBe(types.length);
    expect([...types].sort()).toEqual([...EVENT_FILTER_RESOURCE_TYPES].sort());
    // StringBeginsWith on `<type>/`: each watched type's operations begin with one value, and no
    // value begins with another (it would be spent on what a parent already lets through).
    const lets = (type: string): string[] => types.filter((v) => `${type}/write`.toLowerCase().startsWith(`${v}/`.toLowerCase()));
    for (const type of WATCHED_RESOURCE_TYPES) expect(lets(type), type).toHaveLength(1);
    for (const value of types) expect(lets(value), value).toEqual([value]);
    expect(subscription()?.body).toMatch(/key:\s*'data\.operationName'/);
    expect(subscription()?.body).toMatch(/operatorType:\s*'StringBeginsWith'/);
    expect(subscription()?.body).toContain("values: [for resourceType in watchedResourceTypes: '${resourceType}/']");
  });

  it('stays within the 25 advanced-filter values Event Grid allows in all', () => {
    // https://learn.microsoft.com/azure/event-grid/event-filtering#limitations: 25 advanced-filter values across all filters.
    const filters = subscription()?.body.match(/advancedFilters:\s*\[([\s\S]*?)\n\s{6}\]/)?.[1] ?? '';
    const listed = (filters.match(/values:\s*\[for resourceType in watchedResourceTypes:/g) ?? []).length;
    expect(listed).toBe(1);
    expect(EVENT_FILTER_RESOURCE_TYPES.length).toBeLessThanOrEqual(25);
  });

  it('every type it lets through is one the event mapping turns into a scope', () => {
    for (const type of stringArray(blockAfter(topic, /^var watchedResourceTypes\s*=/m, '['))) expect(isWatchedType(type), type).toBe(true);
  });

  it('subscribes to exactly SUBSCRIBED_EVENT_TYPES', () => {
    expect(stringArray(blockAfter(topic, /^var subscribedEventTypes\s*=/m, '[')).sort()).toEqual([...SUBSCRIBED_EVENT_TYPES].sort());
    expect(subscription()?.body).toMatch(/includedEventTypes:\s*subscribedEventTypes/);
  });

  it('delivers to onResourceChange, retries, and dead-letters with the topic identity', () => {
    expect(topic).toContain(`var functionName = '${FUNCTIONS.onResourceChange}'`);
    expect(subscription()?.body).toContain("resourceId: resourceId(functionApp[2], functionApp[4], 'Microsoft.Web/sites/functions', functionApp[8], functionName)");
    expect(subscription()?.body).toMatch(/endpointType:\s*'AzureFunction'/);
    expect(subscription()?.body).toMatch(/retryPolicy:\s*\{[^}]*maxDeliveryAttempts:\s*\d+/);
    expect(subscription()?.body).toMatch(/deadLetterWithResourceIdentity:/);
    expect(subscription()?.body).toMatch(/endpointType:\s*'StorageBlob'/);
    expect(topic).toMatch(/topicType:\s*'Microsoft\.Resources\.Subscriptions'/);
  });
});

describe('roles: least privilege', () => {
  const assignments = lazy(() =>
    BICEP.flatMap((file) =>
      resources(read(file))
        .filter((r) => r.type.startsWith('Microsoft.Authorization/roleAssignments@'))
        .map((r) => ({ file: label(file), ...r })),
    ),
  );
  const roleIds = lazy(() => BICEP.map((file) => ({ file: label(file), guids: [...stripComments(read(file)).matchAll(GUID)].map((m) => (m[1] as string).toLowerCase()) })));

  it('names every role assignment with guid()', () => {
    expect(assignments().length).toBeGreaterThanOrEqual(7);
    for (const a of assignments()) expect(a.body, `${a.file}: ${a.symbol}`).toMatch(/\bname:\s*guid\(/);
  });

  it('assigns only the expected built-in roles, by id', () => {
    for (const { file, guids } of roleIds()) {
      for (const g of guids) {
        expect(BROAD_ROLES[g], `${file} assigns ${BROAD_ROLES[g] ?? g}`).toBeUndefined();
        expect(ALLOWED_ROLES[g], `${file}: unknown role id ${g}`).toBeDefined();
      }
    }
    const names = new Set(roleIds().flatMap((f) => f.guids).map((g) => ALLOWED_ROLES[g]));
    for (const role of REQUIRED_ROLES) expect(names, role).toContain(role);
    for (const a of assignments().filter((x) => x.file !== 'infra/modules/subscription-reader.bicep')) {
      expect(a.body, `${a.file}: ${a.symbol}`).toMatch(/roleDefinitionId:\s*subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions',/);
    }
  });

  it('grants read-only network access per watched subscription through a custom role, and blob write only on the dead-letter container', () => {
    const reader = infra('modules/subscription-reader.bicep');
    const definitions = resources(reader).filter((r) => r.type.startsWith('Microsoft.Authorization/roleDefinitions@'));
    expect(definitions).toHaveLength(1);
    const actions = [...(blockAfter(reader, /^var readActions\s*=/m, '[').matchAll(/'([^']+)'/g))].map((m) => m[1] as string);
    expect(actions).toEqual([
      'Microsoft.Network/*/read',
      'Microsoft.ApiManagement/service/read',
      'Microsoft.ContainerService/managedClusters/read',
      'Microsoft.AAD/domainServices/read',
      'Microsoft.Resources/subscriptions/read',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
    ]);
    for (const action of actions) expect(action).toMatch(/\/read$/);
    // Every type the inventory lists is readable with the role: Microsoft.Network's, and each service's own.
    for (const type of INVENTORY_TYPES) expect(actions.some((a) => a === `${type}/read` || (a === 'Microsoft.Network/*/read' && type.startsWith('Microsoft.Network/'))), type).toBe(true);
    expect(definitions[0]?.body).toMatch(/dataActions:\s*\[\]/);
    expect(definitions[0]?.body).toMatch(/assignableScopes:\s*\[\s*subscription\(\)\.id\s*\]/);
    const assignment = assignments().find((a) => a.file === 'infra/modules/subscription-reader.bicep');
    expect(assignment?.body).toMatch(/roleDefinitionId:\s*networkReader\.id/);
    const blobWriter = roleIds().filter((f) => f.guids.includes('ba92f5b4-2d11-453d-a403-e96b0029c9fe')).map((f) => f.file);
    expect(blobWriter).toEqual(['infra/modules/dead-letter-access.bicep']);
    const deadLetter = assignments().find((a) => a.file === 'infra/modules/dead-letter-access.bicep');
    expect(deadLetter?.body).toMatch(/scope:\s*container\b/);
  });

  it('no assignment is made at management-group or tenant scope', () => {
    for (const file of BICEP) expect(['subscription', 'resourceGroup']).toContain(targetScope(read(file)));
  });
});

describe('monitoring: local auth off, queries use only names the code emits', () => {
  const eventNames = new Set<string>(Object.values(EVENTS));
  const metricNames = new Set<string>(Object.values(METRICS));
  const properties = new Set<string>(Object.values(EVENT_PROPERTIES));
  const workbook = JSON.parse(infra('workbook/nsgwatch.workbook.json')) as { items: { type: number; content: { query?: string } }[] };
  const workbookQueries = workbook.items.flatMap((i) => (i.type === 3 && i.content.query ? [i.content.query] : []));
  const alertQueries = {
    'finding-opened': infra('queries/finding-opened.kql'),
    'pipeline-health': infra('queries/pipeline-health.kql'),
    'outbox-backlog': infra('queries/outbox-backlog.kql'),
  };

  /** The event/metric names a query filters on, and the custom properties it reads. */
  function namesIn(query: string): { tables: string[]; names: string[]; dimensions: string[] } {
    const body = query.replace(/^\s*\/\/.*$/gm, '');
    const names: string[] = [];
    for (const m of body.matchAll(/\bname\s*==\s*"([^"]+)"/g)) names.push(m[1] as string);
    for (const m of body.matchAll(/\bname\s+in\s*\(([^)]*)\)/g)) for (const v of (m[1] as string).matchAll(/"([^"]+)"/g)) names.push(v[1] as string);
    const dimensions = [...body.matchAll(/customDimensions\.(\w+)/g)].map((m) => m[1] as string);
    const tables = [...new Set([...body.matchAll(/^\s*(\w+)\s*$/gm)].map((m) => m[1] as string))];
    return { tables, names, dimensions };
  }

  it.each([...workbookQueries.map((q, i) => [`workbook query ${i + 1}`, q]), ...Object.entries(alertQueries)])('%s uses only defined names', (_, query) => {
    const { tables, names, dimensions } = namesIn(query);
    expect(tables.length).toBe(1);
    for (const table of tables) expect(['customEvents', 'customMetrics']).toContain(table);
    const defined = tables[0] === 'customEvents' ? eventNames : metricNames;
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(defined, `${tables[0]}: ${n}`).toContain(n);
    for (const d of dimensions) expect(properties, `customDimensions.${d}`).toContain(d);
  });

  it('the workbook covers open findings, opened vs resolved, latency, failures and the outbox', () => {
    const used = new Set(workbookQueries.flatMap((q) => namesIn(q).names));
    for (const n of [EVENTS.findingOpened, EVENTS.findingReopened, EVENTS.findingResolved, EVENTS.evaluationFailed, METRICS.eventToFindingLatencyMs, METRICS.evaluations, METRICS.evaluationFailures, METRICS.pendingNotifications]) {
      expect(used, n).toContain(n);
    }
    const dims = new Set(workbookQueries.flatMap((q) => namesIn(q).dimensions));
    for (const d of [EVENT_PROPERTIES.severity, EVENT_PROPERTIES.ruleId, EVENT_PROPERTIES.resourceId, EVENT_PROPERTIES.findingId]) expect(dims, d).toContain(d);
  });

  it('alerts on FindingOpened at or above the severity parameter, and on pipeline health', () => {
    expect(namesIn(alertQueries['finding-opened']).names.sort()).toEqual([EVENTS.findingOpened, EVENTS.findingReopened, EVENTS.alertDigest].sort());
    expect(namesIn(alertQueries['pipeline-health']).names.sort()).toEqual([EVENTS.evaluationFailed, EVENTS.eventDeadLettered].sort());
    const alerts = infra('modules/alerts.bicep');
    expect(alerts).toContain("loadTextContent('../queries/finding-opened.kql')");
    expect(alerts).toContain("loadTextContent('../queries/pipeline-health.kql')");
    expect(namesIn(alertQueries['outbox-backlog']).names).toEqual([METRICS.oldestPendingNotificationAgeMs]);
    expect(alerts).toContain("loadTextContent('../queries/outbox-backlog.kql')");
    expect(alertQueries['finding-opened']).toContain('severity in ({{SEVERITIES}})');
    expect(alerts).toContain("'{{SEVERITIES}}'");
    // The threshold takes the first n severities, so the list must be most severe first, as the code has it.
    expect(stringArray(blockAfter(alerts, /^var severities\s*=/m, '['))).toEqual([...SEVERITIES]);
    expect(params(alerts).find((p) => p.name === 'alertMinSeverity')?.allowed).toEqual([...SEVERITIES]);
    expect(params(infra('main.bicep')).find((p) => p.name === 'alertMinSeverity')?.allowed).toEqual([...SEVERITIES]);
    expect(alerts).toMatch(/actionGroups:\s*\[\s*actionGroup\.id/);
  });

  it('turns local auth off for Log Analytics, Application Insights and the topic', () => {
    expect(infra('modules/monitoring.bicep')).toMatch(/features:\s*\{[^}]*disableLocalAuth:\s*true/);
    expect(infra('modules/monitoring.bicep')).toMatch(/DisableLocalAuth:\s*true/);
    expect(infra('modules/topic.bicep')).toMatch(/disableLocalAuth:\s*true/);
    expect(infra('modules/topic.bicep')).toMatch(/inputSchema:\s*'CloudEventSchemaV1_0'/);
  });
});

describe('no keys, Flex Consumption, managed identity', () => {
  const deployable = [...ALL_FILES.filter((f) => !f.endsWith('.md')), resolve(ROOT, 'azure.yaml')];

  it.each(deployable.map(label))('%s reads no key and holds no secret', (file) => {
    const text = read(resolve(ROOT, file));
    expect(text).not.toMatch(/listKeys|listkeys|listAccountSas|listServiceSas|AccountKey|primaryKey|secondaryKey|SharedAccessKey|InstrumentationKey=/);
    // The key-based host storage setting (a connection string) must not be set anywhere.
    expect(text).not.toMatch(/\bAzureWebJobsStorage\s*:/);
  });

  it('runs on Flex Consumption, Node 24, as the user-assigned identity', () => {
    const app = infra('modules/function-app.bicep');
    expect(app).toMatch(/tier:\s*'FlexConsumption'/);
    expect(app).toMatch(/runtime:\s*\{\s*name:\s*'node'\s*version:\s*'24'/);
    expect(app).toMatch(/type:\s*'UserAssigned'/);
    expect(app).toMatch(/authentication:\s*\{\s*type:\s*'UserAssignedIdentity'/);
    expect(app).toMatch(/httpsOnly:\s*true/);
    const publishing = resources(app).filter((r) => r.type === 'basicPublishingCredentialsPolicies');
    expect(publishing.map((r) => /name:\s*'(\w+)'/.exec(r.body)?.[1]).sort()).toEqual(['ftp', 'scm']);
    for (const policy of publishing) expect(policy.body).toMatch(/allow:\s*false/);
  });
});
