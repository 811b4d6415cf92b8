/** `--format table`: one line per finding a person reads at a glance, most severe first, then a summary. */
import { summarize, type ScanReport } from './report.js';
import { SEVERITIES } from '../verdicts/finding.js';

/** Control characters (and the line breaks a description may hold) never reach the terminal. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

export function tableReport(report: ScanReport, options: { width?: number } = {}): string {
  const lines: string[] = [];
  const rows = report.findings.map((f) => [f.severity.toUpperCase(), f.ruleId, oneLine(f.resourceName), oneLine(f.message)] as const);
  if (rows.length > 0) {
    const header = ['SEVERITY', 'RULE', 'RESOURCE', 'MESSAGE'] as const;
    const widths = [0, 1, 2].map((i) => Math.max(header[i]?.length ?? 0, ...rows.map((r) => r[i]?.length ?? 0)));
    const fit = (cells: readonly string[]): string => {
      const line = cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ');
      return options.width && line.length > options.width ? `${line.slice(0, Math.max(options.width - 1, 20))}…` : line;
    };
    lines.push(fit(header));
    for (const row of rows) lines.push(fit(row));
    lines.push('');
  }
  if (report.errors.length > 0) {
    lines.push(`${report.errors.length} input error(s) — these resources were not judged:`);
    for (const e of report.errors) {
      const where = [e.resourceId || '(input)', e.rule && `rule ${e.rule}`, e.field && `field ${e.field}`].filter(Boolean).join(' ');
      lines.push(`  ${oneLine(where)}: ${oneLine(e.message)}`);
    }
    lines.push('');
  }
  if (report.unjudged.length > 0) {
    lines.push(`${report.unjudged.length} resource(s) not judged — their verdicts rest on input that failed validation:`);
    for (const u of report.unjudged) lines.push(`  ${oneLine(u.resourceId)}: ${oneLine(u.reasons.join('; '))}`);
    lines.push('');
  }
  const s = summarize(report);
  if (s.unusedTypes.length > 0) {
    lines.push('Read but not used (nsgwatch does not model these types):');
    for (const unused of s.unusedTypes) {
      const types = Object.entries(unused.types).sort(([a], [b]) => (a < b ? -1 : 1)).map(([type, count]) => `${type} (${count})`);
      lines.push(`  ${oneLine(unused.source)}: ${oneLine(types.join(', '))}`);
    }
    lines.push('');
  }
  const counts = SEVERITIES.filter((sev) => s.bySeverity[sev] > 0).map((sev) => `${s.bySeverity[sev]} ${sev}`);
  const what = `${s.resources.networkSecurityGroups} NSGs, ${s.resources.subnets} subnets, ${s.resources.networkInterfaces} NICs`;
  lines.push(
    `${s.findings === 0 ? 'No findings' : `${s.findings} finding${s.findings === 1 ? '' : 's'} (${counts.join(', ')})`} in ${what}; ${s.errors} error${s.errors === 1 ? '' : 's'}. ` +
      (s.incomplete
        ? `Incomplete: ${s.unjudged} not judged (--allow-unjudged to pass anyway).`
        : s.failed
          ? `Failing: findings at or above ${s.failOn}.`
          : `Passing at --fail-on ${s.failOn}${s.unjudged > 0 ? `, with ${s.unjudged} not judged (--allow-unjudged)` : ''}.`),
  );
  return `${lines.join('\n')}\n`;
}
