import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { Config } from '../config.js';
import { HearthError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { Tasks } from '../tasks/index.js';
import { mountAdmin } from './admin.js';
import type { AppEnv } from './env.js';
import { errorResponse } from './errors.js';
import { accessLog } from './middleware/access-log.js';
import { bearerAuth } from './middleware/auth.js';
import { mountModels } from './models.js';
import { mountOllamaEmbed } from './ollama/embed.js';
import { mountOllamaModels } from './ollama/models.js';
import { mountOpenAIEmbeddings } from './openai/embeddings.js';

export interface AppDeps {
  config: Config;
  tasks: Tasks;
  log: Logger;
  version: string;
}

/** The whole HTTP surface: middlewares in order, then one mount per contract family. */
export function createApp({ config, tasks, log, version }: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.use('*', requestId({ headerName: 'X-Request-Id', limitLength: 128 }));
  app.use('*', accessLog(log));
  app.use('*', bearerAuth(config.apiKeys));
  app.use(
    '*',
    bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: () => {
        throw new HearthError('payload_too_large', `request body is larger than the limit of ${config.maxBodyBytes} bytes`);
      },
    }),
  );

  mountAdmin(app, tasks);
  mountOpenAIEmbeddings(app, tasks);
  mountModels(app, tasks);
  mountOllamaEmbed(app, tasks);
  mountOllamaModels(app, tasks, version);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Hearth', version, description: 'Self-hosted embeddings behind the OpenAI and Ollama contracts.' },
  });
  app.notFound((c) => errorResponse(c, new HearthError('not_found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => errorResponse(c, error));
  return app;
}
