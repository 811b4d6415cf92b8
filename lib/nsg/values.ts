/**
 * Small checks every layer shares, written once at the lowest layer that needs them: closed
 * vocabularies switched on exhaustively, untrusted JSON objects, and the message of a thrown value.
 */

/** The `default` of an exhaustive switch: a compile error when a case is missing, a clear throw if one slips through at run time. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what} ${JSON.stringify(value)}`);
}

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The message of whatever was thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
