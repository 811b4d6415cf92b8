/**
 * Fitting findings into Table Storage: a string property holds at most 32 K characters (64 KiB in
 * UTF-16) and an entity at most 1 MiB. Evidence JSON is split over a few properties and, past
 * that budget, trimmed: the witness and the deciding rules always stay, and what was dropped is
 * counted, so a write never fails for size.
 */
import type { Evidence } from '../verdicts/finding.js';
import type { EvidenceTrimming } from './types.js';

/** Characters per string property (Table Storage allows 32,768). */
export const PROPERTY_CHARS = 30_000;
/**
 * Evidence spreads over at most this many properties: 180 K characters, 360 KiB in UTF-16 and at
 * most ~540 KB as UTF-8 on the wire, so with the other fields an entity stays under 1 MiB by
 * either measure.
 */
export const EVIDENCE_PARTS = 6;
export const EVIDENCE_CHARS = PROPERTY_CHARS * EVIDENCE_PARTS;
/** Other free-text fields (title, message, remediation, ...) are cut to this many characters. */
export const TEXT_CHARS = 8_000;

/** Kept whole whatever the size: they are what makes a finding checkable. */
const ESSENTIAL_KEYS = ['witness', 'decidedBy'] as const;

export interface FittedEvidence {
  json: string;
  trimmed?: EvidenceTrimming;
}

/** Serialises evidence within `budget` characters, trimming it when it does not fit. */
export function fitEvidence(evidence: Evidence, budget: number = EVIDENCE_CHARS): FittedEvidence {
  const full = JSON.stringify(evidence);
  if (full.length <= budget) return { json: full };

  const trimming: EvidenceTrimming = { droppedKeys: [], droppedItems: 0, originalLength: full.length };
  const kept: Record<string, unknown> = {};
  for (const key of ESSENTIAL_KEYS) if (evidence[key] !== undefined) kept[key] = evidence[key];
  // Leave room for the trimming note itself.
  const room = budget - 512;
  if (JSON.stringify(kept).length > room) {
    // Pathological: even the essentials do not fit. Keep the witness, shorten decidedBy.
    return { json: JSON.stringify(essentialsOnly(evidence, room, trimming)), trimmed: trimming };
  }
  // Smallest keys first: keep as many whole keys as fit, then what fits of the rest.
  const others = Object.keys(evidence)
    .filter((k) => !(ESSENTIAL_KEYS as readonly string[]).includes(k) && evidence[k] !== undefined)
    .map((k) => ({ key: k, size: JSON.stringify(evidence[k]).length }))
    .sort((a, b) => a.size - b.size || a.key.localeCompare(b.key));
  let used = JSON.stringify(kept).length;
  for (const { key, size } of others) {
    const value = evidence[key];
    if (used + size + key.length + 4 <= room) {
      kept[key] = value;
      used += size + key.length + 4;
      continue;
    }
    if (Array.isArray(value)) {
      const part = prefixThatFits(value, room - used - key.length - 4);
      if (part.length > 0) {
        kept[key] = part;
        used += JSON.stringify(part).length + key.length + 4;
        trimming.droppedItems += value.length - part.length;
        continue;
      }
      trimming.droppedItems += value.length;
    }
    trimming.droppedKeys.push(key);
  }
  return { json: JSON.stringify(kept), trimmed: trimming };
}

function essentialsOnly(evidence: Evidence, room: number, trimming: EvidenceTrimming): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  if (evidence.witness !== undefined) kept['witness'] = evidence.witness;
  const decidedBy = evidence.decidedBy ?? [];
  const part = prefixThatFits(decidedBy, room - JSON.stringify(kept).length - 16);
  kept['decidedBy'] = part;
  trimming.droppedItems += decidedBy.length - part.length;
  for (const key of Object.keys(evidence)) {
    if (!(ESSENTIAL_KEYS as readonly string[]).includes(key)) trimming.droppedKeys.push(key);
  }
  return kept;
}

function prefixThatFits(items: readonly unknown[], room: number): unknown[] {
  const out: unknown[] = [];
  let used = 2;
  for (const item of items) {
    const size = JSON.stringify(item).length + 1;
    if (used + size > room) break;
    out.push(item);
    used += size;
  }
  return out;
}

/** Splits a string into property-sized parts (at least one, possibly empty). */
export function splitIntoParts(text: string, partChars: number = PROPERTY_CHARS): string[] {
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    const end = safeCut(text, Math.min(start + partChars, text.length));
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts.length > 0 ? parts : [''];
}

/** Moves a cut back by one when it would split a surrogate pair (a lone surrogate is not valid text). */
function safeCut(text: string, index: number): number {
  if (index <= 0 || index >= text.length) return index;
  const before = text.charCodeAt(index - 1);
  return before >= 0xd800 && before <= 0xdbff ? index - 1 : index;
}

/** Cuts free text to `max` characters, saying so at the end. */
export function fitText(text: string, max: number = TEXT_CHARS): string {
  if (text.length <= max) return text;
  const keep = safeCut(text, max - 40);
  return `${text.slice(0, keep)} … [${text.length - keep} characters cut]`;
}
