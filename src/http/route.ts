import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { parseDurationMs } from '../lib/duration.js';
import { invalidRequest } from '../lib/errors.js';
import type { AppEnv } from './env.js';
import { isOllamaPath } from './errors.js';
import { ollamaErrors, openAIErrors } from './responses.js';

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch' | 'head';

/** A route as mounted: its OpenAPI path ("/api/models/{model}") and the pattern Hono matches. */
export interface MountedRoute {
  method: Method;
  path: string;
  honoPath: string;
}

const mounted = new WeakMap<object, MountedRoute[]>();

/** Every route mount() registered on this app, in order. */
export function mountedRoutes(app: OpenAPIHono<AppEnv>): readonly MountedRoute[] {
  return mounted.get(app) ?? [];
}

/**
 * Errors the middleware stack can answer on a route before its handler runs,
 * added to the route's documented responses: on every route 403 (Host guard,
 * IP allowlist) and 503 (draining); 401 and 429 (bearer key, rate limits)
 * unless the route declares `security: []` (open); 413 when it takes a body.
 */
export function withMiddlewareErrors(route: RouteConfig): RouteConfig {
  const open = route.security?.length === 0;
  const codes = [403, 503, ...(open ? [] : [401, 429]), ...(route.request?.body ? [413] : [])].filter((code) => !(code in route.responses));
  if (codes.length === 0) return route;
  const errors = isOllamaPath(route.path) ? ollamaErrors(codes) : openAIErrors(codes);
  return { ...route, responses: { ...route.responses, ...errors } };
}

/**
 * Mounts a handler and records the same route in the OpenAPI document. Bodies
 * are validated by the handler (readJson) rather than by zod-openapi's
 * validator, so a body with the wrong Content-Type is still read as JSON.
 */
export function mount(app: OpenAPIHono<AppEnv>, route: RouteConfig & { method: Method }, handler: (c: Context<AppEnv>) => Promise<Response> | Response): void {
  app.openAPIRegistry.registerPath(withMiddlewareErrors(route));
  // Path parameters may hold a hub id with a slash ("org/name"), so they match to the end of the path.
  const path = route.path.replace(/\{(\w+)\}/g, ':$1{.+}');
  app.on(route.method.toUpperCase(), path, handler);
  mounted.set(app, [...mountedRoutes(app), { method: route.method, path: route.path, honoPath: path }]);
}

/** keep_alive as Ollama takes it (seconds or a duration string) → ms, or a 400. */
export function keepAliveMs(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDurationMs(value);
  } catch {
    throw invalidRequest(`invalid keep_alive "${String(value).slice(0, 40)}": use seconds or a duration such as "10m", "1h30m", 0 or -1`, 'keep_alive');
  }
}

/** Response headers that say where a request's time went, in milliseconds. */
export function timingHeaders(c: Context<AppEnv>, t: { queueMs: number; inferenceMs: number; loadMs?: number }): void {
  c.header('x-queue-time', t.queueMs.toFixed(2));
  c.header('x-inference-time', t.inferenceMs.toFixed(2));
  if (t.loadMs !== undefined) c.header('x-load-time', t.loadMs.toFixed(2));
}
