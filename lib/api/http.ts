/**
 * The HTTP vocabulary shared by the Azure Functions http triggers and the local dev server: a
 * small request shape in, a response out, so one set of handlers serves both.
 */
import { errorMessage } from '../nsg/index.js';

export interface ApiRequest {
  /** Upper case: GET, POST, ... */
  method: string;
  /** The URL path as received, e.g. `/api/findings/abc` (percent-encoded). */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string>>;
  /** The body as text ('' when there is none); the transport enforces {@link MAX_BODY_BYTES}. */
  body: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/** Request bodies larger than this are refused with 413 before they are read in full. */
export const MAX_BODY_BYTES = 64 * 1024;

export type ApiErrorCode =
  | 'invalidJson'
  | 'invalidField'
  | 'unknownParameter'
  | 'notFound'
  | 'methodNotAllowed'
  | 'payloadTooLarge'
  | 'unsupportedMediaType'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'internal';

export interface ApiError {
  status: number;
  code: ApiErrorCode;
  message: string;
  /** The query parameter or body field at fault, as a dotted path (`queries[2].protocol`). */
  field?: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Headers every response carries: nothing is cached, nothing is sniffed. */
const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): ApiResponse {
  return {
    status,
    headers: { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

export function errorResponse(error: ApiError, headers: Record<string, string> = {}): ApiResponse {
  const body = { code: error.code, message: error.message, ...(error.field !== undefined ? { field: error.field } : {}) };
  return jsonResponse(error.status, { error: body }, headers);
}

export function invalid(message: string, field?: string): ApiError {
  return { status: 400, code: 'invalidField', message, ...(field !== undefined ? { field } : {}) };
}

export function notFound(message: string): ApiError {
  return { status: 404, code: 'notFound', message };
}

export function unavailable(message: string): ApiError {
  return { status: 503, code: 'unavailable', message };
}

/** Size check for transports that know the length before reading (Content-Length). */
/** 413 naming the limit of the endpoint that refused the body (the webhook's is Event Grid's 1 MB). */
export function bodyTooLarge(bytes: number, limit: number = MAX_BODY_BYTES): ApiError {
  return {
    status: 413,
    code: 'payloadTooLarge',
    message: `request body is ${bytes} bytes; the limit is ${limit} bytes`,
  };
}

/** Header lookup that does not care how the transport spelled the name. */
export function header(request: Pick<ApiRequest, 'headers'>, name: string): string | undefined {
  return request.headers[name.toLowerCase()];
}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const type = value.split(';')[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
}

/**
 * Parse a JSON request body. Empty bodies are allowed only when `optional`; any media type other
 * than application/json (or none) is refused, so a form post can never reach a handler.
 */
export function readJsonBody(request: ApiRequest, optional = false): Checked<unknown> {
  if (request.body.trim() === '') {
    if (optional) return { ok: true, value: undefined };
    return { ok: false, error: { status: 400, code: 'invalidJson', message: 'request body is empty; send a JSON object' } };
  }
  if (Buffer.byteLength(request.body, 'utf8') > MAX_BODY_BYTES) {
    return { ok: false, error: bodyTooLarge(Buffer.byteLength(request.body, 'utf8')) };
  }
  const type = mediaType(header(request, 'content-type'));
  if (type !== undefined && type !== 'application/json' && !type.endsWith('+json')) {
    return {
      ok: false,
      error: { status: 415, code: 'unsupportedMediaType', message: `content type ${type} is not accepted; send application/json` },
    };
  }
  try {
    return { ok: true, value: JSON.parse(request.body) as unknown };
  } catch (cause) {
    const reason = errorMessage(cause);
    return { ok: false, error: { status: 400, code: 'invalidJson', message: `request body is not JSON: ${reason}` } };
  }
}


export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
