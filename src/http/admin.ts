import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Metrics } from '../observability/metrics.js';
import type { Tasks } from '../tasks/index.js';
import type { RuntimeStatus } from '../tasks/status.js';
import type { AppEnv } from './env.js';
import { mount } from './route.js';

const Health = z.object({ status: z.string() }).openapi('Health');
const Ready = z.object({ status: z.string(), model: z.string().nullable(), reason: z.string().optional() }).openapi('Ready');
const OcrWorker = z.object({
  model: z.string(),
  state: z.enum(['stopped', 'starting', 'busy', 'idle', 'stopping']),
  warm: z.boolean(),
  pid: z.number().int().nullable(),
  in_flight: z.number().int(),
  queued: z.number().int(),
  restarts: z.number().int(),
  crashes: z.number().int(),
  recent_crashes: z.number().int(),
  circuit: z.enum(['closed', 'open', 'half_open']),
  retry_after_s: z.number().optional(),
  last_start_ms: z.number().optional(),
  rss_bytes: z.number().optional(),
  idle_timeout_ms: z.number(),
});
const Status = z
  .object({
    version: z.string(),
    uptime_s: z.number(),
    device: z.object({
      provider: z.enum(['cpu', 'cuda']).openapi({ description: 'what loaded models run on; with none loaded, what a load would try first' }),
      requested: z.enum(['auto', 'cpu', 'cuda']),
      intra_op_threads: z.number().int(),
      inter_op_threads: z.number().int(),
      inference_nice: z.number().int(),
    }),
    models: z.array(
      z.object({
        id: z.string(),
        state: z.enum(['loading', 'ready']),
        size_bytes: z.number(),
        expires_at: z.string().nullable().openapi({ description: 'null while in use, loading or kept forever' }),
        refs: z.number().int(),
      }),
    ),
    queues: z.array(z.object({ model: z.string(), queued: z.number().int() })),
    workers: z.array(z.object({ model: z.string(), alive: z.boolean(), threads: z.number().int().optional() })),
    browser: z
      .object({
        state: z.enum(['closed', 'launching', 'running', 'unavailable']),
        executable: z.string().nullable(),
        version: z.string().nullable(),
        pid: z.number().int().nullable(),
        launches: z.number().int(),
        pages_open: z.number().int(),
        queued: z.number().int(),
      })
      .nullable()
      .openapi({ description: 'the crawl browser (launched on the first crawl, closed when idle); null when the status has none' }),
    memory: z.object({ rss_bytes: z.number(), heap_used_bytes: z.number(), external_bytes: z.number() }),
    pulls: z.array(z.object({ model: z.string(), status: z.string(), total: z.number().optional(), completed: z.number().optional(), callers: z.number().int() })),
    ocr_workers: z.array(OcrWorker).openapi({ description: 'OCR worker processes (one per OCR model used since start): spawned on first use, exit after an idle timeout' }),
  })
  .openapi('Status');

export interface AdminDeps {
  metrics: Metrics;
  version: string;
}

/** Liveness, readiness, metrics, status. Liveness answers from the event loop alone, so it stays fast under load. */
export function mountAdmin(app: OpenAPIHono<AppEnv>, tasks: Tasks, { metrics, version }: AdminDeps): void {
  mount(
    app,
    createRoute({ method: 'get', path: '/health', tags: ['Operations'], summary: 'Liveness', security: [], responses: { 200: { description: 'Alive', content: { 'application/json': { schema: Health } } } } }),
    (c) => c.json({ status: 'ok' }),
  );
  mount(
    app,
    createRoute({
      method: 'get',
      path: '/ready',
      tags: ['Operations'],
      security: [],
      summary: 'Readiness: the default text model is on disk and loadable',
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: Ready } } },
        503: { description: 'Not ready', content: { 'application/json': { schema: Ready } } },
      },
    }),
    async (c) => {
      const state = await tasks.readiness();
      return c.json({ status: state.ready ? 'ready' : 'not_ready', model: state.model, ...(state.reason ? { reason: state.reason } : {}) }, state.ready ? 200 : 503);
    },
  );

  mount(
    app,
    createRoute({
      method: 'get',
      path: '/metrics',
      tags: ['Operations'],
      summary: 'Prometheus metrics (text exposition format)',
      responses: { 200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } } },
    }),
    async (c) => c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }),
  );
  mount(
    app,
    createRoute({
      method: 'get',
      path: '/api/status',
      tags: ['Operations'],
      summary: 'Device, loaded models, queues, workers, memory and pulls in progress',
      responses: { 200: { description: 'Status', content: { 'application/json': { schema: Status } } } },
    }),
    (c) => c.json(statusBody(tasks.status(), version)),
  );
}

/** The /api/status body: the runtime snapshot in snake_case plus what only the process knows. */
export function statusBody(status: RuntimeStatus, version: string, uptimeS = process.uptime(), memory = process.memoryUsage()): z.infer<typeof Status> {
  return {
    version,
    uptime_s: Math.round(uptimeS * 10) / 10,
    device: {
      provider: status.device.provider,
      requested: status.device.requested,
      intra_op_threads: status.device.intraOpThreads,
      inter_op_threads: status.device.interOpThreads,
      inference_nice: status.device.inferenceNice,
    },
    models: status.models.map((m) => ({ id: m.id, state: m.state, size_bytes: m.sizeBytes, expires_at: m.expiresAt?.toISOString() ?? null, refs: m.refs })),
    queues: status.queues,
    workers: status.workers,
    browser: status.browser ?? null,
    memory: { rss_bytes: memory.rss, heap_used_bytes: memory.heapUsed, external_bytes: memory.external },
    pulls: status.pulls,
    ocr_workers: (status.ocrWorkers ?? []).map((w) => ({
      model: w.model,
      state: w.state,
      warm: w.warm,
      pid: w.pid,
      in_flight: w.inFlight,
      queued: w.queued,
      restarts: w.restarts,
      crashes: w.crashes,
      recent_crashes: w.recentCrashes,
      circuit: w.circuit,
      ...(w.retryAfterS !== undefined ? { retry_after_s: w.retryAfterS } : {}),
      ...(w.lastStartMs !== undefined ? { last_start_ms: w.lastStartMs } : {}),
      ...(w.rssBytes !== undefined ? { rss_bytes: w.rssBytes } : {}),
      idle_timeout_ms: w.idleTimeoutMs,
    })),
  };
}
