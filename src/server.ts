import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { type Config, packageRoot } from './config.js';
import { createApp } from './http/app.js';
import { Lifecycle, killLeftoverChildren } from './lib/lifecycle.js';
import { createLogger } from './lib/log.js';
import { Manifest } from './models/manifest.js';
import { unsafeBindReason } from './security/bind-safety.js';
import { KeySource } from './security/key-source.js';
import { Metrics } from './observability/metrics.js';
import { type Tasks, createTasks } from './tasks/index.js';

export const version: string = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version;

/**
 * Start-up: config → manifest → tasks (store, pool) → app → listen, plus a
 * graceful shutdown that stops accepting, lets in-flight requests finish
 * (bounded), disposes models and exits 0.
 */
export async function startServer(config: Config): Promise<{ server: ServerType; lifecycle: Lifecycle; stop(options?: { force?: boolean }): Promise<void> }> {
  const log = createLogger(config.logLevel);
  // Keys first: an unreadable keys file or an open non-loopback bind stops start-up before anything listens.
  const keys = new KeySource({ file: config.security.keysFile, envKeys: config.apiKeys, log });
  const refusal = unsafeBindReason({ host: config.host, keyCount: (await keys.load()).size, keysFile: config.security.keysFile, allowUnauthenticated: config.security.allowUnauthenticated });
  if (refusal) throw new Error(refusal);
  const manifest = await Manifest.load(config.modelsFile);
  const metrics = new Metrics();
  const tasks: Tasks = createTasks(config, manifest, log, {
    onBatch: metrics.onBatch,
    onPull: metrics.onPull,
    onWorkerDied: metrics.onWorkerDied,
    onPoolEvent: (event) => {
      metrics.onPoolEvent(event);
      // gpu_memory_used_bytes exists only once a model actually runs on CUDA.
      if (event.type === 'load' && tasks.status().device.provider === 'cuda') metrics.trackGpuMemory(() => tasks.gpuMemoryBytes());
    },
  });
  metrics.trackQueues(() => tasks.status().queues);
  const lifecycle = new Lifecycle();
  // Shutdown hooks run after the drain, last registered first. Models: disposing terminates their worker threads.
  // A browser (crawl) or OCR worker processes register here the same way when they start.
  lifecycle.onShutdown('models', () => tasks.close());
  lifecycle.onShutdown('browser', () => tasks.crawl.close());
  const app = createApp({ config, tasks, log, version, lifecycle, metrics, keys });

  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
      log.info({ host: info.address, port: info.port, hf_home: config.hfHome, version, runtime: config.runtime }, 'hearth listening');
      resolve(s);
    });
  });

  // Graceful shutdown: stop accepting (the listening socket closes, so new connections are refused: a
  // load balancer or client retries elsewhere at once), answer requests still arriving on open keep-alive
  // connections with 503 + Retry-After and `Connection: close` (src/http/drain.ts), let in-flight requests
  // finish within HEARTH_DRAIN_TIMEOUT, then cut what is left, run the shutdown hooks (models → worker
  // threads terminated) and kill any child process still there. `force` (a second signal) skips the wait.
  let stopping: Promise<void> | undefined;
  let forceNow: (() => void) | undefined;
  const forced = new Promise<void>((resolve) => (forceNow = resolve));
  const stop = (options: { force?: boolean } = {}) => {
    if (options.force) forceNow?.();
    return (stopping ??= (async () => {
      const started = performance.now();
      lifecycle.startDraining();
      log.info({ drain_timeout_ms: config.drainTimeoutMs }, 'shutting down: draining in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const http = server as ServerType & { closeIdleConnections?(): void; closeAllConnections?(): void };
      http.closeIdleConnections?.();
      // A connection that goes idle during the drain (its response sent) must not wait for keepAliveTimeout.
      const sweeper = setInterval(() => http.closeIdleConnections?.(), 100);
      const outcome = await Promise.race([
        closed.then(() => 'drained' as const),
        sleep(config.drainTimeoutMs).then(() => 'timeout' as const),
        forced.then(() => 'forced' as const),
      ]);
      clearInterval(sweeper);
      if (outcome !== 'drained') {
        log.warn({ drain_timeout_ms: config.drainTimeoutMs, reason: outcome }, 'drain cut short: closing remaining connections');
        http.closeAllConnections?.();
      }
      const hooks = await lifecycle.runShutdownHooks(SHUTDOWN_HOOK_TIMEOUT_MS);
      for (const h of hooks) {
        if (h.ok) log.info({ hook: h.name, ms: h.ms }, 'shutdown hook done');
        else log.error({ hook: h.name, ms: h.ms, error: h.error }, 'shutdown hook failed');
      }
      const killed = await killLeftoverChildren();
      if (killed.length > 0) log.warn({ pids: killed }, 'killed child processes left after the shutdown hooks');
      log.info({ ms: Math.round(performance.now() - started), drain: outcome }, 'stopped');
    })());
  };
  return { server, lifecycle, stop };
}

/** How long each shutdown hook (models, later browser/OCR workers) may take before it is given up on. */
const SHUTDOWN_HOOK_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
