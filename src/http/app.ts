import { OpenAPIHono } from '@hono/zod-openapi';
import { requestId } from 'hono/request-id';
import type { Config } from '../config.js';
import { HearthError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { KeySource } from '../security/key-source.js';
import { Metrics } from '../observability/metrics.js';
import type { Tasks } from '../tasks/index.js';
import { mountAdmin } from './admin.js';
import { mountCrawl } from './openai/crawl.js';
import { mountColPali } from './colpali.js';
import { mountDocs } from './docs.js';
import { mountPlayground } from './playground/index.js';
import { drainGuard } from './drain.js';
import type { AppEnv } from './env.js';
import { errorResponse } from './errors.js';
import { accessLog } from './middleware/access-log.js';
import { bodyLimits } from './middleware/body-limit.js';
import { securityMiddleware } from './middleware/security.js';
import { httpMetrics } from './middleware/metrics.js';
import { mountModels } from './models.js';
import { mountModelWorker } from './model-worker.js';
import { mountOllamaEmbed } from './ollama/embed.js';
import { mountOllamaModels } from './ollama/models.js';
import { mountOpenAICaptions } from './openai/captions.js';
import { mountOpenAIEmbeddings } from './openai/embeddings.js';
import { mountOpenAIOcr } from './openai/ocr.js';

export interface AppDeps {
  config: Config;
  tasks: Tasks;
  log: Logger;
  version: string;
  /** The process's Prometheus registry (server.ts shares it with the task hooks); a fresh one if absent. */
  metrics?: Metrics;
  /** Set by server.ts: while draining, new requests get 503 and responses close their connection. */
  lifecycle?: { readonly draining: boolean };
  /** The live key ring, loaded by server.ts before it listens; built from config if absent. */
  keys?: KeySource;
}

/** The whole HTTP surface: middlewares in order, then one mount per contract family. */
export function createApp({ config, tasks, log, version, metrics = new Metrics({ defaultMetrics: false }), lifecycle, keys }: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.use('*', requestId({ headerName: 'X-Request-Id', limitLength: 128 }));
  app.use('*', accessLog(log));
  app.use('*', httpMetrics(metrics, app));
  app.use('*', drainGuard(lifecycle));
  app.use('*', ...securityMiddleware({ config, log, keys }));
  app.use('*', bodyLimits({ defaultBytes: config.maxBodyBytes, mediaBytes: config.maxMediaBodyBytes }));

  mountAdmin(app, tasks, { metrics, version });
  mountOpenAIEmbeddings(app, tasks);
  mountOpenAICaptions(app, tasks);
  mountCrawl(app, tasks);
  mountOpenAIOcr(app, tasks);
  mountColPali(app, tasks, { defaultFormat: config.colpali.defaultFormat });
  mountModels(app, tasks);
  mountOllamaEmbed(app, tasks);
  mountOllamaModels(app, tasks, version);
  mountModelWorker(app, tasks);

  mountDocs(app, version);
  mountPlayground(app);
  app.notFound((c) => errorResponse(c, new HearthError('not_found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => errorResponse(c, error));
  return app;
}
