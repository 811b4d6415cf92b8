// Charts drawn by Chart.js (loaded as its UMD build, which defines the global `Chart`).

/** @returns {any} */
function chartLibrary() {
  const library = /** @type {any} */ (globalThis).Chart;
  if (!library) throw new Error('Chart.js did not load');
  return library;
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function palette() {
  return {
    text: cssVar('--muted'),
    grid: cssVar('--grid'),
    critical: cssVar('--sev-critical'),
    high: cssVar('--sev-high'),
    medium: cssVar('--sev-medium'),
    low: cssVar('--sev-low'),
    info: cssVar('--sev-info'),
    opened: cssVar('--opened'),
    resolved: cssVar('--resolved'),
    open: cssVar('--accent'),
  };
}

/** @type {Map<string, any>} */
const charts = new Map();

function upsert(canvas, config) {
  const existing = charts.get(canvas.id);
  if (existing && existing.config.type === config.type) {
    existing.data.labels = config.data.labels;
    existing.data.datasets.forEach((dataset, i) => Object.assign(dataset, config.data.datasets[i]));
    existing.options.onClick = config.options.onClick;
    existing.update('none');
    return existing;
  }
  existing?.destroy();
  const chart = new (chartLibrary())(canvas, config);
  charts.set(canvas.id, chart);
  return chart;
}

/**
 * Horizontal bars: open findings per rule, coloured by the rule's severity.
 * @param {HTMLCanvasElement} canvas
 * @param {{ ruleId: string, severity: string, title: string, count: number }[]} rows
 * @param {(ruleId: string) => void} onPick
 */
export function drawRuleChart(canvas, rows, onPick) {
  const colors = palette();
  const top = rows.slice(0, 12);
  canvas.parentElement.style.height = `${Math.max(160, top.length * 28 + 40)}px`;
  return upsert(canvas, {
    type: 'bar',
    data: {
      labels: top.map((r) => r.ruleId),
      datasets: [{
        label: 'open findings',
        data: top.map((r) => r.count),
        backgroundColor: top.map((r) => colors[r.severity] ?? colors.info),
        borderRadius: 4,
        maxBarThickness: 22,
      }],
    },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { title: (items) => { const r = top[items[0]?.dataIndex ?? 0]; return r ? `${r.ruleId} · ${r.severity}` : ''; }, afterTitle: (items) => top[items[0]?.dataIndex ?? 0]?.title ?? '' } },
      },
      scales: {
        x: { beginAtZero: true, ticks: { precision: 0, color: colors.text }, grid: { color: colors.grid } },
        y: { ticks: { color: colors.text }, grid: { display: false } },
      },
      onClick: (_event, elements) => {
        const picked = elements[0] ? top[elements[0].index] : undefined;
        if (picked) onPick(picked.ruleId);
      },
    },
  });
}

/**
 * Bars of transitions per time bucket (opened up, resolved down) and a line of open findings.
 * @param {HTMLCanvasElement} canvas
 * @param {{ bucketSeconds: number, points: { start: string, counts: Record<string, number>, open: number }[] }} trend
 */
export function drawTrendChart(canvas, trend) {
  const colors = palette();
  const format = labelFormat(trend.bucketSeconds);
  return upsert(canvas, {
    type: 'bar',
    data: {
      labels: trend.points.map((p) => format.format(new Date(p.start))),
      datasets: [
        { type: 'bar', label: 'opened', data: trend.points.map((p) => (p.counts.opened ?? 0) + (p.counts.reopened ?? 0) + (p.counts.suppressionExpired ?? 0)), backgroundColor: colors.opened, stack: 'moves', borderRadius: 3, maxBarThickness: 36, yAxisID: 'y' },
        { type: 'bar', label: 'resolved', data: trend.points.map((p) => -((p.counts.resolved ?? 0) + (p.counts.suppressed ?? 0))), backgroundColor: colors.resolved, stack: 'moves', borderRadius: 3, maxBarThickness: 36, yAxisID: 'y' },
        { type: 'line', label: 'open', data: trend.points.map((p) => p.open), borderColor: colors.open, backgroundColor: colors.open, stepped: true, pointRadius: 0, borderWidth: 2, yAxisID: 'open' },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { labels: { color: colors.text, boxWidth: 12 } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${Math.abs(Number(item.raw))}` } },
      },
      scales: {
        x: { stacked: true, ticks: { color: colors.text, maxRotation: 0, autoSkip: true }, grid: { display: false } },
        y: { stacked: true, ticks: { precision: 0, color: colors.text, callback: (v) => Math.abs(Number(v)) }, grid: { color: colors.grid }, title: { display: true, text: 'transitions', color: colors.text } },
        open: { position: 'right', beginAtZero: true, ticks: { precision: 0, color: colors.text }, grid: { display: false }, title: { display: true, text: 'open', color: colors.text } },
      },
    },
  });
}

function labelFormat(bucketSeconds) {
  if (bucketSeconds < 60) return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (bucketSeconds < 86400) return new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
}
