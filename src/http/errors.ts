import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ErrorCode, HearthError } from '../lib/errors.js';
import type { AppEnv } from './env.js';

/** The one table from domain error codes to HTTP status and OpenAI error type. */
export const ERROR_TABLE: Record<ErrorCode, { status: ContentfulStatusCode; type: string }> = {
  invalid_request: { status: 400, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  unauthorized: { status: 401, type: 'authentication_error' },
  forbidden: { status: 403, type: 'permission_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  model_not_downloaded: { status: 404, type: 'invalid_request_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  model_in_use: { status: 409, type: 'invalid_request_error' },
  payload_too_large: { status: 413, type: 'invalid_request_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  client_closed: { status: 499 as ContentfulStatusCode, type: 'invalid_request_error' },
  model_load_failed: { status: 503, type: 'server_error' },
  overloaded: { status: 503, type: 'server_error' },
  model_loading: { status: 503, type: 'server_error' },
  pull_failed: { status: 502, type: 'server_error' },
  // A target the egress policy refuses is a property of the request (400, as OpenAI answers a bad image URL), not of the caller's rights (403).
  url_not_allowed: { status: 400, type: 'invalid_request_error' },
  upstream_failed: { status: 502, type: 'server_error' },
  upstream_timeout: { status: 504, type: 'server_error' },
  // The site's robots.txt forbids the page: a refusal by the target's owner that no retry fixes (403, not 451: no legal demand).
  blocked_by_robots: { status: 403, type: 'permission_error' },
  // No Chromium installed, or it died mid-request and is being relaunched (Retry-After says when to retry).
  browser_unavailable: { status: 503, type: 'server_error' },
  insufficient_storage: { status: 507, type: 'server_error' },
  inference_failed: { status: 500, type: 'server_error' },
  internal_error: { status: 500, type: 'server_error' },
};

/** Ollama's routes answer errors as {"error": "..."}; everything else in OpenAI's shape. */
export const isOllamaPath = (path: string) => path === '/api' || (path.startsWith('/api/') && !path.startsWith('/api/models') && !path.startsWith('/api/status'));

/** The client went away while its request was read (socket closed mid-body): its problem, not a 500. */
const isClientAbort = (error: unknown) =>
  error instanceof Error && ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || error.message === 'aborted' || error.name === 'AbortError');

export function toHearthError(error: unknown): HearthError {
  if (error instanceof HearthError) return error;
  if (isClientAbort(error)) return new HearthError('client_closed', 'client closed the request', { cause: error });
  if (error instanceof HTTPException) {
    if (error.status === 413) return new HearthError('payload_too_large', 'request body is too large');
    if (error.status === 401) return new HearthError('unauthorized', error.message || 'unauthorized');
    if (error.status === 403) return new HearthError('forbidden', error.message || 'forbidden');
    if (error.status < 500) return new HearthError('invalid_request', error.message || 'invalid request');
  }
  return new HearthError('internal_error', 'internal server error', { cause: error });
}

/** 5xx codes that describe load or upstream conditions, not bugs: not logged as errors. */
const EXPECTED_5XX = new Set<ErrorCode>(['overloaded', 'model_load_failed', 'model_loading', 'pull_failed', 'insufficient_storage', 'upstream_failed', 'upstream_timeout', 'browser_unavailable']);

export function errorResponse(c: Context<AppEnv>, error: unknown): Response {
  const e = toHearthError(error);
  const { status, type } = ERROR_TABLE[e.code];
  if (status >= 500 && !EXPECTED_5XX.has(e.code)) {
    c.var.log?.error({ err: error, request_id: c.var.requestId }, 'request failed');
  }
  if (e.retryAfterS !== undefined) c.header('Retry-After', String(Math.ceil(e.retryAfterS)));
  // Tells OpenAI SDKs whether a retry can help (they read this before their own status rules).
  c.header('x-should-retry', status === 429 || status === 503 ? 'true' : 'false');
  if (isOllamaPath(c.req.path)) return c.json({ error: e.message }, status);
  return c.json({ error: { message: e.message, type, param: e.param, code: e.code }, request_id: c.var.requestId }, status);
}

/** OpenAPI schema of the error body, shared by every route's declared responses. */
export const openAIErrorExample = { error: { message: 'string', type: 'invalid_request_error', param: null, code: 'invalid_request' }, request_id: 'uuid' };
