// The detail view of one finding: what was found, the proof, how to fix it, and who changed what.
import { el, formatDateTime, nameOfId, resourceTrail, severityBadge, statusBadge } from './dom.js';

/** Evidence keys shown in their own sections; anything else is listed as extra evidence. */
const KNOWN_EVIDENCE = new Set(['witness', 'decidedBy', 'attachments', 'unresolvedTags', 'assumptions', 'remote', 'ports', 'publicPath', 'service', 'author']);
const COUNT = new Intl.NumberFormat();

const KIND_LABELS = {
  opened: 'Opened',
  reopened: 'Reopened',
  resolved: 'Resolved',
  suppressed: 'Suppressed',
  suppressionExpired: 'Suppression ended',
};

/**
 * @param {{ finding: any, history: any[] }} data
 * @param {{ rule?: any, onClose: () => void, onSuppress: (input: { reason: string, days: number }) => Promise<void> }} options
 */
export function renderDetail(data, options) {
  const f = data.finding;
  const evidence = f.evidence && typeof f.evidence === 'object' ? f.evidence : {};
  const rule = options.rule;
  return [
    el('div', { class: 'detail-head' },
      el('div', {},
        el('p', { class: 'eyebrow' }, severityBadge(f.severity), ' ', el('span', { class: 'rule-id' }, f.ruleId), ' · ', statusBadge(f.status)),
        el('h2', { id: 'detail-title' }, f.title || f.ruleId),
        el('p', { class: 'detail-message' }, f.message),
      ),
      el('button', { type: 'button', class: 'button ghost', onclick: options.onClose, 'aria-label': 'Close the detail view' }, 'Close'),
    ),
    el('dl', { class: 'facts' },
      fact('Resource', el('span', {}, el('strong', {}, f.resourceName || nameOfId(f.resourceId)), el('br'), el('code', { class: 'wrap' }, f.resourceId))),
      f.scope ? fact('Scope', el('code', {}, f.scope)) : null,
      fact('First seen', formatDateTime(f.firstSeen)),
      fact('Last seen', formatDateTime(f.lastSeen)),
      f.resolvedAt ? fact('Resolved', formatDateTime(f.resolvedAt)) : null,
      f.changedBy ? fact('Changed by', f.changedBy) : null,
      f.suppression ? fact('Suppressed', `${f.suppression.reason} (by ${f.suppression.by}, until ${formatDateTime(f.suppression.expiresAt)})`) : null,
    ),
    section('Evidence', 'evidence', evidenceView(evidence, f.evidenceTrimmed)),
    rule ? section('Why it matters', 'rationale', el('p', {}, rule.description), rule.rationale ? el('p', { class: 'muted' }, rule.rationale) : null, referencesView(rule.references)) : null,
    section('Remediation', 'remediation', remediationView(f.remediation)),
    section('History', 'history', historyView(data.history)),
    f.status === 'open' ? section('Suppress', 'suppress', suppressForm(options.onSuppress)) : null,
  ];
}

function fact(label, value) {
  return [el('dt', {}, label), el('dd', {}, value)];
}

function section(title, name, ...content) {
  return el('section', { class: `detail-section detail-${name}` }, el('h3', {}, title), ...content);
}

function evidenceView(evidence, trimmed) {
  const parts = [];
  if (evidence.service && typeof evidence.service === 'object') parts.push(serviceView(evidence.service));
  if (evidence.author && typeof evidence.author === 'object') {
    parts.push(el('p', { class: 'note author' }, 'The deciding rule was written by ', el('strong', {}, String(evidence.author.service ?? '')), evidence.author.recognisedBy ? ` (${String(evidence.author.recognisedBy)})` : ''));
  }
  if (evidence.witness) parts.push(witnessView(evidence.witness));
  if (Array.isArray(evidence.decidedBy) && evidence.decidedBy.length > 0) {
    parts.push(el('h4', {}, 'Deciding rules'),
      el('table', { class: 'mini deciding' },
        el('thead', {}, el('tr', {}, el('th', {}, 'NSG'), el('th', {}, 'Rule'), el('th', {}, 'Priority'), el('th', {}, 'Access'))),
        el('tbody', {}, evidence.decidedBy.map((d) => el('tr', {},
          el('td', {}, d.nsgName || nameOfId(String(d.nsg ?? ''))),
          el('td', {}, el('code', {}, String(d.rule ?? ''))),
          el('td', {}, String(d.priority ?? '')),
          el('td', {}, el('span', { class: `access access-${d.access === 'Allow' ? 'allow' : 'deny'}` }, String(d.access ?? ''))),
        ))),
      ));
  }
  if (evidence.remote && typeof evidence.remote === 'object') parts.push(remoteView(evidence.remote, evidence.ports));
  if (evidence.publicPath && typeof evidence.publicPath === 'object') parts.push(publicPathView(evidence.publicPath));
  if (Array.isArray(evidence.attachments) && evidence.attachments.length > 0) {
    parts.push(el('h4', {}, 'Affected attachments'),
      el('ul', { class: 'attachments' }, evidence.attachments.map((id) => el('li', {}, el('strong', {}, nameOfId(String(id))), ' ', el('span', { class: 'muted' }, resourceTrail(String(id)))))));
  }
  if (Array.isArray(evidence.unresolvedTags) && evidence.unresolvedTags.length > 0) {
    parts.push(el('p', { class: 'note' }, 'Service tags without address data (treated as broad public ranges): ', evidence.unresolvedTags.join(', ')));
  }
  if (Array.isArray(evidence.assumptions) && evidence.assumptions.length > 0) {
    parts.push(el('h4', {}, 'Assumptions'), el('ul', {}, evidence.assumptions.map((a) => el('li', {}, String(a)))));
  }
  const extra = Object.fromEntries(Object.entries(evidence).filter(([k]) => !KNOWN_EVIDENCE.has(k)));
  if (Object.keys(extra).length > 0) {
    parts.push(el('details', {}, el('summary', {}, 'More evidence'), el('pre', { class: 'code' }, JSON.stringify(extra, null, 2))));
  }
  if (trimmed) parts.push(el('p', { class: 'muted' }, `Evidence was shortened to fit storage (${trimmed.droppedItems} items left out).`));
  if (parts.length === 0) parts.push(el('p', { class: 'muted' }, 'This finding carries no flow evidence (it is about configuration, not traffic).'));
  return parts;
}

/** The service that owns or uses the subnet, how it was recognised, and the document of its requirements (as text, like every URL from data). */
function serviceView(service) {
  return el('div', { class: 'service' },
    el('h4', {}, 'Service-owned subnet'),
    el('p', {}, el('strong', { class: 'service-name' }, String(service.name ?? '')), service.recognisedBy ? ` — recognised by ${String(service.recognisedBy)}` : ''),
    service.document ? el('p', { class: 'muted' }, 'Documented requirements: ', el('code', { class: 'service-document' }, String(service.document))) : null,
  );
}

/** How the Internet gets there: exposed through a public IP or load-balancer rule, latent (no public path), or assumed. */
const PATH_WORDS = {
  exposed: 'Exposed: a public path carries these flows',
  latent: 'Latent: allowed, but no public path carries these flows yet (reported lower)',
  assumed: 'Assumed exposed: the estate does not tell the public path',
  unattached: 'The NSG is associated with nothing',
};

function publicPathView(path) {
  const list = (items) => (Array.isArray(items) && items.length > 0 ? el('ul', {}, items.map((t) => el('li', {}, String(t)))) : null);
  return el('div', { class: 'public-path' },
    el('h4', {}, 'Public path'),
    el('p', {}, PATH_WORDS[path.state] ?? String(path.state ?? '')),
    list(path.through),
    list(path.latent),
    list(path.assumptions),
  );
}

/** Who can reach it: the exact remote address set the effective rules allow, summarised. */
function remoteView(remote, ports) {
  const prefixes = Array.isArray(remote.prefixes) ? remote.prefixes.map(String) : [];
  const more = Number(remote.morePrefixes ?? 0);
  const v4 = Number(remote.ipv4Addresses ?? 0);
  const v6 = String(remote.ipv6Addresses ?? '0');
  const sizes = [v4 > 0 ? `${COUNT.format(v4)} IPv4 addresses` : null, v6 !== '0' ? `${v6} IPv6 addresses` : null].filter(Boolean).join(' and ');
  const portText = ports && typeof ports === 'object' ? Object.values(ports).map(String).join(', ') : '';
  return el('div', { class: 'remote' },
    el('h4', {}, 'Remote addresses allowed'),
    el('p', {}, [portText ? `${portText} from ` : '', sizes || 'no concrete addresses', Array.isArray(remote.unresolvedTags) && remote.unresolvedTags.length > 0 ? ` plus service tags ${remote.unresolvedTags.join(', ')}` : ''].join('')),
    prefixes.length > 0 ? el('p', { class: 'prefixes' }, prefixes.map((p) => el('code', {}, p)), more > 0 ? el('span', { class: 'muted' }, ` and ${more} more`) : null) : null,
  );
}

function witnessView(w) {
  const end = (ip, port) => (port === null || port === undefined ? String(ip) : `${ip}:${port}`);
  return el('div', { class: 'witness' },
    el('h4', {}, 'Witness flow'),
    el('p', { class: 'flow' },
      el('span', { class: 'pill' }, String(w.direction ?? '')),
      el('span', { class: 'pill' }, String(w.protocol ?? '')),
      el('code', {}, end(w.source, w.sourcePort)),
      el('span', { class: 'arrow', 'aria-hidden': 'true' }, '→'),
      el('code', {}, end(w.destination, w.destinationPort)),
    ),
    el('p', { class: 'muted' }, 'One concrete flow that the effective rules let through (or block), proving the finding.'),
  );
}

function remediationView(remediation) {
  if (!remediation || (!remediation.az && !remediation.bicep)) return el('p', { class: 'muted' }, 'No remediation is recorded for this rule.');
  return [
    remediation.az ? codeBlock('Azure CLI', remediation.az) : null,
    remediation.bicep ? codeBlock('Bicep', remediation.bicep) : null,
  ];
}

function codeBlock(label, text) {
  const pre = el('pre', { class: 'code' }, String(text));
  const button = el('button', { type: 'button', class: 'button small ghost' }, 'Copy');
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(String(text));
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Select and copy';
    }
  });
  return el('div', { class: 'code-block' }, el('div', { class: 'code-label' }, el('span', {}, label), button), pre);
}

function referencesView(references) {
  if (!Array.isArray(references) || references.length === 0) return null;
  // References are shown as text, never as links: a URL from data is not followed by a click.
  return el('p', { class: 'muted' }, 'References: ', references.map(String).join(' · '));
}

function historyView(history) {
  if (!Array.isArray(history) || history.length === 0) return el('p', { class: 'muted' }, 'No history recorded.');
  const rows = [...history].sort((a, b) => String(b.at).localeCompare(String(a.at)));
  return el('ol', { class: 'timeline' }, rows.map((h) => el('li', { class: `tl-${h.kind}` },
    el('span', { class: 'tl-time' }, formatDateTime(h.at)),
    el('span', { class: 'tl-kind' }, KIND_LABELS[h.kind] ?? String(h.kind)),
    h.changedBy ? el('span', { class: 'tl-who' }, 'by ', el('strong', {}, String(h.changedBy))) : el('span', { class: 'tl-who muted' }, 'by a sweep'),
    h.operation ? el('span', { class: 'tl-op muted' }, el('code', {}, String(h.operation))) : null,
    h.eventId ? el('span', { class: 'tl-event muted' }, `event ${h.eventId}`) : null,
  )));
}

function suppressForm(onSuppress) {
  const reason = el('input', { type: 'text', name: 'reason', required: true, maxlength: '1000', placeholder: 'why this is accepted, e.g. approved exception CHG-1234' });
  const days = el('input', { type: 'number', name: 'days', min: '1', max: '366', value: '30', required: true });
  const message = el('span', { class: 'muted', role: 'status' });
  const form = el('form', { class: 'suppress-form' },
    el('label', {}, 'Reason ', reason),
    el('label', {}, 'For (days) ', days),
    el('button', { type: 'submit', class: 'button' }, 'Suppress this finding'),
    message,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.textContent = 'Saving…';
    try {
      await onSuppress({ reason: /** @type {HTMLInputElement} */ (reason).value, days: Number(/** @type {HTMLInputElement} */ (days).value) });
      message.textContent = 'Suppressed.';
    } catch (error) {
      message.textContent = error instanceof Error ? error.message : String(error);
    }
  });
  return form;
}
