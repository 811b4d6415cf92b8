/**
 * The azd hooks' behaviour on a first `azd up`, run for real with `sh` against stand-ins for `az`,
 * `azd` and `sleep` on PATH that record every call (no Azure, no waiting): the event wiring goes to
 * azd's subscription, waits a bounded time for the function to be listed, retries a failed
 * deployment a bounded number of times, and the package upload waits for fresh role assignments.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SUB = '0b5e7a1c-9d2f-4e6b-8a3c-1f2d3e4c5b6a';

let scratch: string | undefined;

afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/**
 * A fake `az`: `function show` succeeds from call `functionListedAt` on, `deployment sub create`
 * from call `deployedAt` on (0: never); `role assignment list` prints `createdOn`.
 */
function stage(options: { functionListedAt: number; deployedAt: number; createdOn?: string }): { bin: string; log: string } {
  scratch = mkdtempSync(join(tmpdir(), 'nsgwatch-hooks-'));
  const bin = join(scratch, 'bin');
  const log = join(scratch, 'calls.log');
  spawnSync('mkdir', ['-p', bin]);
  const script = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  script(
    'az',
    `echo "az $*" >> "${log}"
count() { n=$(cat "${scratch}/$1" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "${scratch}/$1"; echo $n; }
case "$*" in
  "cloud show"*) echo "https://graph.microsoft.com/" ;;
  "ad app show"*) echo "00000000-0000-0000-0000-0000000000aa" ;;
  "rest "*) exit 0 ;;
  "functionapp function show"*) n=$(count function); [ ${options.functionListedAt} -gt 0 ] && [ "$n" -ge ${options.functionListedAt} ] && echo onResourceChange && exit 0; exit 3 ;;
  "deployment sub create"*) n=$(count deploy); [ ${options.deployedAt} -gt 0 ] && [ "$n" -ge ${options.deployedAt} ] && exit 0; echo "Webhook validation handshake failed" >&2; exit 1 ;;
  "role assignment list"*) echo "${options.createdOn ?? ''}" ;;
  *) exit 0 ;;
esac`,
  );
  script('azd', `echo "azd $*" >> "${log}"`);
  script('sleep', `echo "sleep $*" >> "${log}"`);
  return { bin, log };
}

function runHook(hook: string, bin: string): { status: number | null; stderr: string } {
  const env = {
    PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    AZURE_ENV_NAME: 'prod',
    AZURE_LOCATION: 'swedencentral',
    AZURE_SUBSCRIPTION_ID: SUB,
    AZURE_RESOURCE_GROUP: 'rg-prod',
    NSGWATCH_FUNCTION_APP_ID: `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Web/sites/func-nsgwatch-x`,
    NSGWATCH_FUNCTION_APP_NAME: 'func-nsgwatch-x',
    NSGWATCH_STORAGE_ACCOUNT_NAME: 'stx',
    NSGWATCH_DEADLETTER_CONTAINER: 'nsgwatch-deadletter',
    NSGWATCH_WATCHED_SUBSCRIPTION_IDS: SUB,
    NSGWATCH_ACTION_GROUP_ID: `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Insights/actionGroups/ag`,
    NSGWATCH_DASHBOARD_URL: 'https://func-nsgwatch-x.azurewebsites.net/dashboard/',
    NSGWATCH_AUTH_CLIENT_ID: '00000000-0000-0000-0000-0000000000aa',
    NSGWATCH_IDENTITY_PRINCIPAL_ID: '00000000-0000-0000-0000-0000000000bb',
  };
  const result = spawnSync('sh', [`infra/hooks/${hook}`], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: result.status, stderr: result.stderr };
}

const calls = (log: string): string[] => readFileSync(log, 'utf8').trim().split('\n');

describe('postdeploy', () => {
  it('sets the redirect URI, waits for the function, and deploys the wiring in azd\'s subscription, retrying a failed validation', () => {
    const { bin, log } = stage({ functionListedAt: 3, deployedAt: 3 });
    const run = runHook('postdeploy.sh', bin);
    expect(run.status, run.stderr).toBe(0);
    const all = calls(log);
    expect(all.find((c) => c.startsWith('az rest --method PATCH'))).toContain('"redirectUris": ["https://func-nsgwatch-x.azurewebsites.net/dashboard/"]');
    const deploys = all.filter((c) => c.startsWith('az deployment sub create'));
    expect(deploys).toHaveLength(3);
    for (const d of deploys) expect(d).toContain(`--subscription ${SUB}`);
    // Two 15 s polls for the function, then 30 s and 60 s between the deployment attempts.
    expect(all.filter((c) => c.startsWith('sleep'))).toEqual(['sleep 15', 'sleep 15', 'sleep 30', 'sleep 60']);
    expect(all.indexOf(all.find((c) => c.startsWith('az functionapp function show')) ?? '')).toBeLessThan(all.indexOf(deploys[0] ?? ''));
  });

  it('gives up after a bounded wait and five attempts, and says what to run', () => {
    const { bin, log } = stage({ functionListedAt: 0, deployedAt: 0 });
    const run = runHook('postdeploy.sh', bin);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("azd hooks run postdeploy");
    const sleeps = calls(log).filter((c) => c.startsWith('sleep')).map((c) => Number(c.split(' ')[1]));
    expect(calls(log).filter((c) => c.startsWith('az deployment sub create'))).toHaveLength(5);
    // At most five minutes for the function, then 30 + 60 + 90 + 120 s between attempts.
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(300 + 300);
  });

  it('refuses to run without the values provision leaves', () => {
    const { bin } = stage({ functionListedAt: 1, deployedAt: 1 });
    const result = spawnSync('sh', ['infra/hooks/postdeploy.sh'], { cwd: ROOT, env: { PATH: `${bin}:${process.env['PATH'] ?? ''}` }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/is not set; run 'azd provision' first/);
  });
});

describe('predeploy', () => {
  it('waits for storage roles assigned a minute ago to be three minutes old', () => {
    const { bin, log } = stage({ functionListedAt: 1, deployedAt: 1, createdOn: new Date(Date.now() - 60_000).toISOString() });
    const run = runHook('predeploy.sh', bin);
    expect(run.status, run.stderr).toBe(0);
    const [sleep] = calls(log).filter((c) => c.startsWith('sleep'));
    expect(Number(sleep?.split(' ')[1])).toBeGreaterThanOrEqual(115);
    expect(Number(sleep?.split(' ')[1])).toBeLessThanOrEqual(120);
  });

  it('does not wait on a redeploy, when the roles are old', () => {
    const { bin, log } = stage({ functionListedAt: 1, deployedAt: 1, createdOn: '2026-01-01T00:00:00.000000+00:00' });
    expect(runHook('predeploy.sh', bin).status).toBe(0);
    expect(calls(log).filter((c) => c.startsWith('sleep'))).toEqual([]);
  });
});

describe('app-registration (preprovision)', () => {
  function fakeAz(existingApp: boolean): { bin: string; log: string; bodies: string } {
    scratch = mkdtempSync(join(tmpdir(), 'nsgwatch-appreg-'));
    const bin = join(scratch, 'bin');
    const log = join(scratch, 'calls.log');
    const bodies = join(scratch, 'bodies.log');
    spawnSync('mkdir', ['-p', bin]);
    writeFileSync(
      join(bin, 'az'),
      `#!/bin/sh
echo "az $*" >> "${log}"
prev=""; for a in "$@"; do [ "$prev" = "--body" ] && printf '%s\\n' "$a" | tr -d '\\n' >> "${bodies}" && echo >> "${bodies}"; prev="$a"; done
case "$*" in
  "cloud show"*) echo "https://graph.microsoft.com/" ;;
  "ad app show --id 11111111-2222-3333-4444-555555555555 --query appId"*) ${existingApp ? 'echo 11111111-2222-3333-4444-555555555555' : 'exit 3'} ;;
  "ad app list"*) echo "" ;;
  "ad app create"*) echo "99999999-8888-4777-8666-555555555555" ;;
  "ad app show"*"--query id"*) echo "object-1" ;;
  "ad app show"*) echo "" ;;
  "ad sp show"*) echo "sp-1" ;;
  "ad signed-in-user show"*) echo "user-1" ;;
  "rest --method GET"*) echo 0 ;;
  *) exit 0 ;;
esac
`,
    );
    chmodSync(join(bin, 'az'), 0o755);
    writeFileSync(join(bin, 'azd'), `#!/bin/sh\necho "azd $*" >> "${log}"\n`);
    chmodSync(join(bin, 'azd'), 0o755);
    return { bin, log, bodies };
  }

  function run(bin: string, env: Record<string, string>): { status: number | null; stderr: string } {
    const result = spawnSync('sh', ['infra/hooks/app-registration.sh'], { cwd: ROOT, env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, AZURE_ENV_NAME: 'prod', ...env }, encoding: 'utf8' });
    return { status: result.status, stderr: result.stderr };
  }

  it('registers the API with its scope and two roles, requires an assignment, makes the runner an operator and records the client id', () => {
    const { bin, log, bodies } = fakeAz(false);
    const result = run(bin, {});
    expect(result.status, result.stderr).toBe(0);
    const all = calls(log);
    expect(all).toContain('az ad app create --display-name nsgwatch-prod --sign-in-audience AzureADMyOrg --query appId -o tsv');
    const [api, access, assignment] = readFileSync(bodies, 'utf8').trim().split('\n').map((b) => JSON.parse(b) as Record<string, unknown>);
    expect(api?.['identifierUris']).toEqual(['api://99999999-8888-4777-8666-555555555555']);
    const scopes = api?.['api'] as { requestedAccessTokenVersion: number; oauth2PermissionScopes: { id: string; value: string }[] };
    expect(scopes.requestedAccessTokenVersion).toBe(2);
    expect(scopes.oauth2PermissionScopes.map((s) => s.value)).toEqual(['access_as_user']);
    const scopeId = scopes.oauth2PermissionScopes[0]?.id;
    expect(scopeId).toMatch(/^[0-9a-f-]{36}$/);
    const roles = api?.['appRoles'] as { id: string; value: string; allowedMemberTypes: string[] }[];
    expect(roles.map((r) => r.value)).toEqual(['NsgWatch.Read', 'NsgWatch.Act']);
    expect(access?.['requiredResourceAccess']).toEqual([{ resourceAppId: '99999999-8888-4777-8666-555555555555', resourceAccess: [{ id: scopeId, type: 'Scope' }] }]);
    expect(all).toContain('az ad sp update --id 99999999-8888-4777-8666-555555555555 --set appRoleAssignmentRequired=true');
    expect(assignment).toEqual({ principalId: 'user-1', resourceId: 'sp-1', appRoleId: roles.find((r) => r.value === 'NsgWatch.Act')?.id });
    expect(all).toContain('azd env set NSGWATCH_AUTH_CLIENT_ID 99999999-8888-4777-8666-555555555555');
  });

  it('reuses the registration the environment already names, changing nothing', () => {
    const { bin, log } = fakeAz(true);
    expect(run(bin, { NSGWATCH_AUTH_CLIENT_ID: '11111111-2222-3333-4444-555555555555' }).status).toBe(0);
    expect(calls(log).filter((c) => /ad app create|rest --method (PATCH|POST)|azd env set/.test(c))).toEqual([]);
  });
});
