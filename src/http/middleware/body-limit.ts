import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HearthError } from '../../lib/errors.js';
import type { AppEnv } from '../env.js';

/** Routes whose bodies carry images or documents as base64 (a 20 MB image is ~27 MB of JSON). */
export const MEDIA_ROUTES: ReadonlySet<string> = new Set(['/v1/embeddings', '/embeddings', '/embed/image', '/embed/batch', '/v1/images/captions', '/v1/ocr']);

/**
 * Streaming body limits (413 exact at the byte, with or without Content-Length): media routes get
 * their own, larger limit so a request of one maximum-size image fits; every other route the default.
 */
export function bodyLimits(limits: { defaultBytes: number; mediaBytes: number }): MiddlewareHandler<AppEnv> {
  const limiter = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new HearthError('payload_too_large', `request body is larger than the limit of ${maxSize} bytes`);
      },
    });
  const standard = limiter(limits.defaultBytes);
  const media = limiter(limits.mediaBytes);
  return (c, next) => (MEDIA_ROUTES.has(c.req.path) ? media : standard)(c, next);
}
