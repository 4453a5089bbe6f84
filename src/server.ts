import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { type Config, packageRoot } from './config.js';
import { createApp } from './http/app.js';
import { createLogger } from './lib/log.js';
import { Manifest } from './models/manifest.js';
import { createTasks } from './tasks/index.js';

export const version: string = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version;

/**
 * Start-up: config → manifest → tasks (store, pool) → app → listen, plus a
 * graceful shutdown that stops accepting, lets in-flight requests finish
 * (bounded), disposes models and exits 0.
 */
export async function startServer(config: Config): Promise<{ server: ServerType; stop(): Promise<void> }> {
  const log = createLogger(config.logLevel);
  const manifest = await Manifest.load(config.modelsFile);
  const tasks = createTasks(config, manifest, log);
  const app = createApp({ config, tasks, log, version });

  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
      log.info({ host: info.address, port: info.port, hf_home: config.hfHome, version, runtime: config.runtime }, 'hearth listening');
      resolve(s);
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('shutting down: draining in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      const drained = await Promise.race([closed.then(() => true), sleep(config.drainTimeoutMs).then(() => false)]);
      if (!drained) {
        log.warn({ drain_timeout_ms: config.drainTimeoutMs }, 'drain timeout: closing remaining connections');
        if ('closeAllConnections' in server) server.closeAllConnections();
      }
      await tasks.close();
      log.info('stopped');
    })());
  return { server, stop };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
