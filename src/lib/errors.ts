/**
 * Domain errors. Lower layers throw these; src/http/errors.ts is the one table
 * that maps each code to an HTTP status and a client-facing shape.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'unsupported_media_type'
  | 'unauthorized'
  | 'forbidden'
  | 'model_not_found'
  | 'model_not_downloaded'
  | 'model_in_use'
  | 'model_loading'
  | 'not_found'
  | 'payload_too_large'
  | 'rate_limited'
  | 'model_load_failed'
  | 'overloaded'
  | 'inference_failed'
  | 'client_closed'
  | 'pull_failed'
  | 'url_not_allowed'
  | 'upstream_failed'
  | 'upstream_timeout'
  | 'blocked_by_robots'
  | 'browser_unavailable'
  | 'insufficient_storage'
  | 'internal_error';

export interface HearthErrorOptions {
  param?: string | null;
  retryAfterS?: number;
  cause?: unknown;
}

export class HearthError extends Error {
  readonly code: ErrorCode;
  readonly param: string | null;
  readonly retryAfterS: number | undefined;

  constructor(code: ErrorCode, message: string, options: HearthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HearthError';
    this.code = code;
    this.param = options.param ?? null;
    this.retryAfterS = options.retryAfterS;
  }
}

export const invalidRequest = (message: string, param: string | null = null): HearthError =>
  new HearthError('invalid_request', message, { param });

export const isHearthError = (e: unknown): e is HearthError => e instanceof HearthError;
