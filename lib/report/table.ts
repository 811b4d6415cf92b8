/** `--format table`: one line per finding a person reads at a glance, most severe first, then a summary. */
import { summarize, type ScanReport } from './report.js';
import { SEVERITIES } from '../verdicts/finding.js';

/** Control characters (and the line breaks a description may hold) never reach the terminal. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

export function tableReport(report: ScanReport, options: { width?: number } = {}): string {
  return [...tableChunks(report, options)].join('');
}

/** Rows per chunk of the table. */
const BATCH = 500;

/**
 * The text of {@link tableReport}, written as it is produced: the column widths take one pass
 * over the findings, then each chunk of rows is formatted only when it is asked for.
 */
export function* tableChunks(report: ScanReport, options: { width?: number } = {}): Generator<string> {
  const findings = report.findings;
  const row = (f: ScanReport['findings'][number]) => [f.severity.toUpperCase(), f.ruleId, oneLine(f.resourceName), oneLine(f.message)] as const;
  if (findings.length > 0) {
    const header = ['SEVERITY', 'RULE', 'RESOURCE', 'MESSAGE'] as const;
    const widths = [header[0].length, header[1].length, header[2].length];
    for (const f of findings) {
      widths[0] = Math.max(widths[0] ?? 0, f.severity.length);
      widths[1] = Math.max(widths[1] ?? 0, f.ruleId.length);
      widths[2] = Math.max(widths[2] ?? 0, oneLine(f.resourceName).length);
    }
    const fit = (cells: readonly string[]): string => {
      const line = cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ');
      return options.width && line.length > options.width ? `${line.slice(0, Math.max(options.width - 1, 20))}…` : line;
    };
    yield `${fit(header)}\n`;
    for (let start = 0; start < findings.length; start += BATCH) {
      let chunk = '';
      const end = Math.min(findings.length, start + BATCH);
      for (let i = start; i < end; i += 1) chunk += `${fit(row(findings[i] as ScanReport['findings'][number]))}\n`;
      yield chunk;
    }
    // The blank line after the table: the rest of the report follows it.
    yield '\n';
  }
  yield* tableTail(report);
}

function* tableTail(report: ScanReport): Generator<string> {
  const lines: string[] = [];
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
  yield `${lines.join('\n')}\n`;
}
