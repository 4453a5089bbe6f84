import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../../src/http/env.js';
import { httpMetrics } from '../../../src/http/middleware/metrics.js';
import { mount, mountedRoutes } from '../../../src/http/route.js';
import { Metrics } from '../../../src/observability/metrics.js';

const ok = { 200: { description: 'ok' } };

/** A small app wired like the real one: metrics middleware, a refusing middleware, mount()ed routes. */
function app() {
  const metrics = new Metrics({ defaultMetrics: false });
  const a = new OpenAPIHono<AppEnv>();
  a.use('*', httpMetrics(metrics, a));
  a.use('*', async (c, next) => (c.req.header('x-refuse') ? c.json({ error: 'no' }, 401) : next()));
  mount(a, createRoute({ method: 'get', path: '/v1/models', responses: ok }), (c) => c.json({}));
  mount(a, createRoute({ method: 'get', path: '/v1/models/{model}', request: { params: z.object({ model: z.string() }) }, responses: ok }), (c) => c.json({}));
  mount(a, createRoute({ method: 'delete', path: '/api/models/{model}', request: { params: z.object({ model: z.string() }) }, responses: ok }), (c) => c.json({}, 404));
  mount(a, createRoute({ method: 'post', path: '/api/models/pull', responses: ok }), () => {
    throw new Error('boom');
  });
  a.onError((_, c) => c.json({ error: 'internal' }, 500));
  a.notFound((c) => c.json({ error: 'not found' }, 404));
  return { a, metrics };
}

async function counts(metrics: Metrics): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await metrics.render()).split('\n')) {
    const m = /^api_requests_total\{endpoint="([^"]*)",status="(\d+)"\} (\d+)$/.exec(line);
    if (m) out[`${m[1]} ${m[2]}`] = Number(m[3]);
  }
  return out;
}

describe('request metrics are labelled by route pattern', () => {
  it('uses the OpenAPI pattern, even for ids with a slash and hostile paths', async () => {
    const { a, metrics } = app();
    await a.request('/v1/models');
    await a.request('/v1/models/all-minilm');
    await a.request('/v1/models/sentence-transformers/all-MiniLM-L6-v2');
    await a.request('/v1/models/..%2F..%2Fetc%2Fpasswd');
    await a.request('/api/models/org/name', { method: 'DELETE' });
    expect(await counts(metrics)).toEqual({ '/v1/models 200': 1, '/v1/models/{model} 200': 3, '/api/models/{model} 404': 1 });
  });

  it('labels unknown routes and wrong methods "unmatched"', async () => {
    const { a, metrics } = app();
    await a.request('/nowhere/at/all');
    await a.request('/v1/models', { method: 'DELETE' });
    await a.request('/api/models/org/name');
    expect(await counts(metrics)).toEqual({ 'unmatched 404': 3 });
  });

  it('keeps the pattern when a middleware refuses before the handler, and counts thrown errors', async () => {
    const { a, metrics } = app();
    await a.request('/api/models/org/name', { method: 'DELETE', headers: { 'x-refuse': '1' } });
    await a.request('/api/models/pull', { method: 'POST' });
    expect(await counts(metrics)).toEqual({ '/api/models/{model} 401': 1, '/api/models/pull 500': 1 });
    expect(await metrics.render()).toMatch(/^active_requests 0$/m);
  });

  it('records every mounted route with its OpenAPI path and Hono pattern', () => {
    const { a } = app();
    expect(mountedRoutes(a).map((r) => `${r.method} ${r.path} ${r.honoPath}`)).toEqual([
      'get /v1/models /v1/models',
      'get /v1/models/{model} /v1/models/:model{.+}',
      'delete /api/models/{model} /api/models/:model{.+}',
      'post /api/models/pull /api/models/pull',
    ]);
  });
});
