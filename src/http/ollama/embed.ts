import { type OpenAPIHono, createRoute } from '@hono/zod-openapi';
import type { Tasks } from '../../tasks/index.js';
import type { AppEnv } from '../env.js';
import { readJson } from '../json-body.js';
import { keepAliveMs, mount, timingHeaders } from '../route.js';
import { ollamaErrors } from '../responses.js';
import { OllamaEmbedRequest, OllamaEmbedResponse, OllamaEmbeddingsRequest, OllamaEmbeddingsResponse } from '../schemas/ollama.js';
import { nanos } from './shape.js';

const errors = ollamaErrors;

/** Ollama's embedding routes: /api/embed (unit vectors, batches) and the legacy /api/embeddings. */
export function mountOllamaEmbed(app: OpenAPIHono<AppEnv>, tasks: Tasks): void {
  mount(
    app,
    createRoute({
      method: 'post',
      path: '/api/embed',
      tags: ['Ollama'],
      summary: 'Embed one or more texts (always L2-normalised); empty input preloads the model',
      request: { body: { required: true, content: { 'application/json': { schema: OllamaEmbedRequest } } } },
      responses: { 200: { description: 'Embeddings', content: { 'application/json': { schema: OllamaEmbedResponse } } }, ...errors([400, 401, 404, 413, 500, 503]) },
    }),
    async (c) => {
      const started = performance.now();
      const body = await readJson(c, OllamaEmbedRequest);
      c.set('model', body.model);
      const keepAlive = keepAliveMs(body.keep_alive);
      const texts = body.input === undefined ? [] : typeof body.input === 'string' ? (body.input === '' ? [] : [body.input]) : body.input;
      if (texts.length === 0) {
        const { loadMs } = await tasks.embeddings.preload(body.model, keepAlive);
        return c.json({ model: body.model, embeddings: [], total_duration: nanos(performance.now() - started), load_duration: nanos(loadMs), prompt_eval_count: 0 });
      }
      const result = await tasks.embeddings.embed({
        model: body.model,
        input: texts,
        dimensions: body.dimensions,
        truncate: body.truncate,
        keepAliveMs: keepAlive,
        normalize: 'always',
        signal: c.req.raw.signal,
      });
      timingHeaders(c, result);
      c.set('tokens', result.promptTokens);
      return c.json({
        model: body.model,
        embeddings: result.vectors.map((v) => Array.from(v)),
        total_duration: nanos(performance.now() - started),
        load_duration: nanos(result.loadMs),
        prompt_eval_count: result.promptTokens,
      });
    },
  );

  mount(
    app,
    createRoute({
      method: 'post',
      path: '/api/embeddings',
      tags: ['Ollama'],
      summary: 'Legacy: embed one prompt (the pooled vector, not normalised, as Ollama)',
      request: { body: { required: true, content: { 'application/json': { schema: OllamaEmbeddingsRequest } } } },
      responses: { 200: { description: 'Embedding', content: { 'application/json': { schema: OllamaEmbeddingsResponse } } }, ...errors([400, 401, 404, 413, 500, 503]) },
    }),
    async (c) => {
      const body = await readJson(c, OllamaEmbeddingsRequest);
      c.set('model', body.model);
      const keepAlive = keepAliveMs(body.keep_alive);
      if (!body.prompt) {
        await tasks.embeddings.preload(body.model, keepAlive);
        return c.json({ embedding: [] });
      }
      const result = await tasks.embeddings.embed({ model: body.model, input: [body.prompt], keepAliveMs: keepAlive, normalize: 'never', signal: c.req.raw.signal });
      timingHeaders(c, result);
      c.set('tokens', result.promptTokens);
      return c.json({ embedding: Array.from(result.vectors[0]!) });
    },
  );
}
