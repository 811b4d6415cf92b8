// DOM building without innerHTML: every string goes in as text, so data can never become markup.

/**
 * Create an element. `props` sets attributes (strings) and `on*` listeners (functions);
 * children are nodes or strings (inserted as text nodes), null/undefined/false are skipped.
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node|string|number|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    } else if (key === 'href' && !String(value).startsWith('#')) {
      // Only in-page links: a data-driven URL could carry javascript:.
      throw new Error(`refusing href ${String(value)}`);
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

/** @param {Node} node @param {unknown[]} children */
export function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** @param {Node} node */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** @param {Node} node @param {...unknown} children */
export function replaceChildren(node, ...children) {
  clear(node);
  append(node, children);
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

/** @param {string} severity */
export function severityBadge(severity) {
  const known = SEVERITIES.includes(severity) ? severity : 'info';
  return el('span', { class: `badge sev-${known}` }, severity);
}

/** @param {string} status */
export function statusBadge(status) {
  return el('span', { class: `status status-${['open', 'resolved', 'suppressed'].includes(status) ? status : 'other'}` }, status);
}

/** The last segment of an ARM id (its name). @param {string} id */
export function nameOfId(id) {
  const parts = String(id).split('/').filter(Boolean);
  return parts[parts.length - 1] ?? id;
}

/** `rg / type / name` trail of an ARM id for a second line. @param {string} id */
export function resourceTrail(id) {
  const parts = String(id).split('/').filter(Boolean);
  const rg = parts.findIndex((p) => p.toLowerCase() === 'resourcegroups');
  const providers = parts.findIndex((p) => p.toLowerCase() === 'providers');
  const group = rg >= 0 ? parts[rg + 1] : undefined;
  const types = providers >= 0 ? parts.slice(providers + 2).filter((_, i) => i % 2 === 0) : [];
  return [group, types.join('/')].filter(Boolean).join(' · ');
}

const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** @param {string | undefined} iso */
export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const sameDay = new Date().toDateString() === date.toDateString();
  return sameDay ? TIME.format(date) : DATE_TIME.format(date);
}

/** @param {string | undefined} iso */
export function formatDateTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : DATE_TIME.format(date);
}
