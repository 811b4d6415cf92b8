/** What `nsgwatch dev` prints for a person: one line per transition, one per alert sent. */
import type { AlertMessage } from '../alerts/index.js';
import type { Transition, TransitionKind } from '../store/index.js';
import { assertNever } from '../nsg/index.js';

const LABELS: Readonly<Record<TransitionKind, string>> = {
  opened: 'OPENED',
  reopened: 'REOPENED',
  resolved: 'RESOLVED',
  suppressed: 'SUPPRESSED',
  suppressionExpired: 'UNMUTED',
};

/** HH:MM:SS in local time: the demo is watched live. */
export function clock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** `12:00:03  OPENED    high      NSG-002  nsg-app  SSH (22/TCP) is reachable from the Internet`. */
export function formatTransition(transition: Transition): string {
  const f = transition.finding;
  const who = transition.changedBy ? `  (by ${transition.changedBy})` : '';
  return `${clock(transition.at)}  ${LABELS[transition.kind].padEnd(10)}${f.severity.padEnd(9)}${f.ruleId.padEnd(9)}${f.resourceName}  ${oneLine(f.message)}${who}`;
}

export function formatAlert(message: AlertMessage): string {
  switch (message.kind) {
    case 'transition': {
      const a = message.alert;
      return `          alert → ${a.kind} ${a.ruleId} on ${a.resourceName}`;
    }
    case 'digest': {
      const d = message.digest;
      const kinds = Object.entries(d.byKind).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
      return `          alert → digest of ${d.total} transitions (${kinds})`;
    }
    default:
      return assertNever(message, 'message');
  }
}

/** Messages come from data: keep each on one line, whatever it holds. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '');
}
