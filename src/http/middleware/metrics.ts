import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Metrics } from '../../observability/metrics.js';
import type { AppEnv } from '../env.js';
import { mountedRoutes } from '../route.js';

/**
 * The route pattern a request matched ("/api/models/{model}"), never the raw
 * path: labels must stay few whatever clients send. Hono routes before any
 * middleware runs, so this is known up front, even for a request that auth
 * then refuses. Anything no route matches is "unmatched".
 */
export function endpointLabel(c: Context, patterns: ReadonlyMap<string, string>): string {
  for (const route of matchedRoutes(c)) {
    if (route.method === 'ALL') continue;
    const pattern = patterns.get(route.path);
    if (pattern) return pattern;
  }
  return 'unmatched';
}

/** api_requests_total, api_request_duration_seconds and active_requests. */
export function httpMetrics(metrics: Metrics, app: OpenAPIHono<AppEnv>): MiddlewareHandler<AppEnv> {
  // Built on the first request: routes are mounted after the middleware is registered.
  let patterns: Map<string, string> | undefined;
  return async (c, next) => {
    patterns ??= new Map(mountedRoutes(app).map((r) => [r.honoPath, r.path]));
    const endpoint = endpointLabel(c, patterns);
    const started = performance.now();
    metrics.requestStarted();
    try {
      await next();
    } finally {
      metrics.requestFinished(endpoint, c.res.status, (performance.now() - started) / 1000);
    }
  };
}
