// The dashboard: loads the summary and findings from the API, renders tiles, charts, a filterable
// table and a detail view, and refreshes while the tab is visible.
import { api, allFindings } from './api.js';
import { completeSignIn, signInRequired, signedInName } from './auth.js';
import { drawRuleChart, drawTrendChart } from './charts.js';
import { renderDetail } from './detail.js';
import { SEVERITIES, el, formatTime, nameOfId, replaceChildren, resourceTrail, severityBadge, statusBadge } from './dom.js';

const REFRESH_MS = 5000;
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  /** @type {any[]} */ findings: [],
  truncated: false,
  /** @type {any} */ summary: undefined,
  /** @type {Map<string, any>} */ rules: new Map(),
  filters: { text: '', severity: '', ruleId: '', status: 'open' },
  /** @type {string | undefined} */ selected: undefined,
  loading: false,
};

function readFiltersFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  state.filters.text = params.get('q') ?? '';
  state.filters.severity = params.get('severity') ?? '';
  state.filters.ruleId = params.get('rule') ?? '';
  state.filters.status = params.has('status') ? params.get('status') ?? '' : 'open';
  // Alerts link to `?finding=<id>`; the page keeps its own state in the hash.
  state.selected = params.get('finding') ?? new URLSearchParams(location.search).get('finding') ?? undefined;
}

function writeHash() {
  const params = new URLSearchParams();
  if (state.filters.text) params.set('q', state.filters.text);
  if (state.filters.severity) params.set('severity', state.filters.severity);
  if (state.filters.ruleId) params.set('rule', state.filters.ruleId);
  if (state.filters.status !== 'open') params.set('status', state.filters.status);
  if (state.selected) params.set('finding', state.selected);
  const hash = params.toString();
  history.replaceState(null, '', hash ? `#${hash}` : `${location.pathname}${location.search}`);
}

function syncControls() {
  /** @type {HTMLInputElement} */ ($('filter-text')).value = state.filters.text;
  /** @type {HTMLSelectElement} */ ($('filter-severity')).value = state.filters.severity;
  /** @type {HTMLSelectElement} */ ($('filter-status')).value = state.filters.status;
  /** @type {HTMLSelectElement} */ ($('filter-rule')).value = state.filters.ruleId;
}

async function load() {
  if (state.loading) return;
  state.loading = true;
  try {
    const [summary, findings] = await Promise.all([api('summary'), allFindings(state.filters.status)]);
    state.summary = summary;
    state.findings = findings.items;
    state.truncated = findings.truncated;
    showError(undefined);
    render();
    $('status-line').textContent = `Updated ${formatTime(summary.generatedAt)} · ${summary.open} open`;
  } catch (error) {
    showError(`Could not load findings: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    state.loading = false;
  }
}

async function loadRules() {
  try {
    const rules = await api('rules');
    state.rules = new Map(rules.items.map((r) => [r.id, r]));
  } catch {
    // The catalogue only adds descriptions; the dashboard works without it.
  }
}

function showError(message) {
  const banner = $('error-banner');
  banner.hidden = message === undefined;
  banner.textContent = message ?? '';
}

function render() {
  renderTiles();
  renderCharts();
  renderRuleOptions();
  renderTable();
}

function renderTiles() {
  const counts = state.summary?.openBySeverity ?? {};
  replaceChildren($('severity-tiles'), SEVERITIES.map((severity) => {
    const active = state.filters.severity === severity;
    return el('button', {
      type: 'button',
      class: `tile sev-tile-${severity}${active ? ' active' : ''}`,
      'aria-pressed': active ? 'true' : 'false',
      'data-severity': severity,
      onclick: () => setFilter({ severity: active ? '' : severity, status: 'open' }),
    }, el('span', { class: 'tile-count' }, String(counts[severity] ?? 0)), el('span', { class: 'tile-label' }, severity));
  }));
}

function renderCharts() {
  const summary = state.summary;
  if (!summary) return;
  const byRule = summary.openByRule ?? [];
  $('chart-rules-empty').hidden = byRule.length > 0;
  $('chart-trend-empty').hidden = (summary.trend?.points ?? []).length > 0;
  try {
    drawRuleChart(/** @type {HTMLCanvasElement} */ ($('chart-rules')), byRule, (ruleId) => setFilter({ ruleId, status: 'open' }));
    drawTrendChart(/** @type {HTMLCanvasElement} */ ($('chart-trend')), summary.trend ?? { bucketSeconds: 86400, points: [] });
  } catch (error) {
    showError(`Charts are unavailable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function renderRuleOptions() {
  const select = /** @type {HTMLSelectElement} */ ($('filter-rule'));
  const ids = new Set([...state.findings.map((f) => f.ruleId), ...state.rules.keys()]);
  if (state.filters.ruleId) ids.add(state.filters.ruleId);
  const sorted = [...ids].sort();
  replaceChildren(select, el('option', { value: '' }, 'all'), sorted.map((id) => el('option', { value: id }, id)));
  select.value = state.filters.ruleId;
}

function matches(finding) {
  const { text, severity, ruleId } = state.filters;
  if (severity && finding.severity !== severity) return false;
  if (ruleId && finding.ruleId !== ruleId) return false;
  if (text) {
    const needle = text.toLowerCase();
    const haystack = [finding.ruleId, finding.resourceName, finding.resourceId, finding.title, finding.message, finding.changedBy].join('\n').toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}

function renderTable() {
  const rows = state.findings
    .filter(matches)
    .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || String(b.lastSeen).localeCompare(String(a.lastSeen)));
  const body = $('findings-body');
  if (rows.length === 0) {
    replaceChildren(body, el('tr', {}, el('td', { colspan: '6', class: 'empty' }, state.findings.length === 0 ? 'No findings with this status.' : 'No findings match these filters.')));
  } else {
    replaceChildren(body, rows.map((f) => el('tr', {
      class: `finding-row${f.id === state.selected ? ' selected' : ''}`,
      tabindex: '0',
      'data-id': f.id,
      onclick: () => select(f.id),
      onkeydown: (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); select(f.id); } },
    },
    el('td', {}, severityBadge(f.severity)),
    el('td', {}, el('span', { class: 'rule-id' }, f.ruleId)),
    el('td', {}, el('div', { class: 'resource-name' }, f.resourceName || nameOfId(f.resourceId)), el('div', { class: 'muted small' }, resourceTrail(f.resourceId))),
    el('td', { class: 'message-cell' }, f.message),
    el('td', {}, statusBadge(f.status)),
    el('td', { class: 'small' }, formatTime(f.resolvedAt ?? f.lastSeen), f.changedBy ? el('div', { class: 'muted' }, f.changedBy) : null),
    )));
  }
  const total = state.findings.length;
  $('findings-count').textContent = `Showing ${rows.length} of ${total} ${state.filters.status || 'all'} finding${total === 1 ? '' : 's'}${state.truncated ? ' (the first 5,000 only)' : ''}.`;
}

function setFilter(change) {
  const statusChanged = change.status !== undefined && change.status !== state.filters.status;
  Object.assign(state.filters, change);
  syncControls();
  writeHash();
  if (statusChanged) void load();
  else render();
}

async function select(id) {
  state.selected = id;
  writeHash();
  renderTable();
  await showDetail(id);
}

async function showDetail(id) {
  const panel = $('detail');
  panel.hidden = false;
  replaceChildren(panel, el('p', { class: 'muted' }, 'Loading…'));
  try {
    const data = await api(`findings/${encodeURIComponent(id)}`);
    replaceChildren(panel, renderDetail(data, {
      rule: state.rules.get(data.finding.ruleId),
      onClose: closeDetail,
      onSuppress: async ({ reason, days }) => {
        const expiresAt = new Date(Date.now() + days * 86_400_000).toISOString();
        await api('suppressions', { method: 'POST', body: { ruleId: data.finding.ruleId, resourcePattern: data.finding.resourceId, reason, expiresAt } });
        await load();
        await showDetail(id);
      },
    }));
    panel.scrollIntoView({ behavior: 'smooth', block: 'start' });
  } catch (error) {
    replaceChildren(panel, el('p', { class: 'banner' }, `Could not load the finding: ${error instanceof Error ? error.message : String(error)}`));
  }
}

function closeDetail() {
  state.selected = undefined;
  $('detail').hidden = true;
  writeHash();
  renderTable();
}

async function scanNow() {
  const button = /** @type {HTMLButtonElement} */ ($('scan-button'));
  button.disabled = true;
  try {
    const result = await api('scan', { method: 'POST' });
    $('status-line').textContent = `Scan started for ${result.started.subscriptions.length} subscription(s)`;
    setTimeout(() => void load(), 1500);
  } catch (error) {
    showError(`Could not start a scan: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    button.disabled = false;
  }
}

function wire() {
  $('filter-text').addEventListener('input', (event) => setFilter({ text: /** @type {HTMLInputElement} */ (event.target).value }));
  $('filter-severity').addEventListener('change', (event) => setFilter({ severity: /** @type {HTMLSelectElement} */ (event.target).value }));
  $('filter-rule').addEventListener('change', (event) => setFilter({ ruleId: /** @type {HTMLSelectElement} */ (event.target).value }));
  $('filter-status').addEventListener('change', (event) => setFilter({ status: /** @type {HTMLSelectElement} */ (event.target).value }));
  $('filters').addEventListener('submit', (event) => event.preventDefault());
  $('scan-button').addEventListener('click', () => void scanNow());
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape' && state.selected) closeDetail(); });
  setInterval(() => { if (document.visibilityState === 'visible') void load(); }, REFRESH_MS);
}

async function start() {
  if (signInRequired) {
    try {
      await completeSignIn();
    } catch (error) {
      showError(error instanceof Error ? error.message : String(error));
      document.body.dataset.ready = 'true';
      return;
    }
    const name = signedInName();
    if (name) {
      $('signed-in').textContent = `Signed in as ${name}`;
      $('signed-in').hidden = false;
    }
  }
  readFiltersFromHash();
  syncControls();
  wire();
  await loadRules();
  await load();
  if (state.selected) await showDetail(state.selected);
  document.body.dataset.ready = 'true';
}

void start();
