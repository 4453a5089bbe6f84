import { type OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { embedMixed, defaultModelName } from '../tasks/embed/mixed.js';
import type { Tasks } from '../tasks/index.js';
import type { AppEnv } from './env.js';
import { readJson } from './json-body.js';
import { mount } from './route.js';
import { openAIErrors } from './responses.js';
import { EmbedBatchRequest, EmbedBatchResponse, EmbedImageRequest, EmbedListResponse, EmbedTextRequest } from './schemas/model-worker.js';

/**
 * The homelab seed's model-worker contract (POST /embed/text, /embed/image,
 * /embed/batch), kept as a thin alias over the embedding service so services
 * written against that worker point at Hearth unchanged.
 */
const json = (schema: unknown) => ({ 'application/json': { schema } }) as never;
const route = (path: string, summary: string, request: unknown, response: unknown) =>
  createRoute({
    method: 'post',
    path,
    tags: ['Model worker (seed)'],
    summary,
    request: { body: { required: true, content: json(request) } },
    responses: { 200: { description: 'Embeddings', content: json(response) }, ...openAIErrors([400, 404, 415, 503]) },
  });

const rounded = (ms: number) => Math.round(ms);
const list = (vectors: Float32Array[], started: number) => ({
  embeddings: vectors.map((v) => Array.from(v)),
  metadata: { count: vectors.length, dimension: vectors[0]?.length ?? 0, duration: rounded(performance.now() - started) },
});

export function mountModelWorker(app: OpenAPIHono<AppEnv>, tasks: Tasks): void {
  mount(app, route('/embed/text', 'Text embeddings (seed model-worker contract)', EmbedTextRequest, EmbedListResponse), async (c) => {
    const started = performance.now();
    const body = await readJson(c, EmbedTextRequest);
    const model = body.model ?? defaultModelName(tasks.catalog, 'text');
    c.set('model', model);
    const result = await tasks.embeddings.embed({ model, input: body.texts, modality: 'text', signal: c.req.raw.signal });
    c.set('tokens', result.promptTokens);
    return c.json(list(result.vectors, started));
  });

  mount(app, route('/embed/image', 'Image embeddings (seed model-worker contract)', EmbedImageRequest, EmbedListResponse), async (c) => {
    const started = performance.now();
    const body = await readJson(c, EmbedImageRequest);
    const model = body.model ?? defaultModelName(tasks.catalog, 'image');
    c.set('model', model);
    const result = await tasks.embeddings.embed({ model, input: body.images, modality: 'image', signal: c.req.raw.signal });
    return c.json(list(result.vectors, started));
  });

  mount(app, route('/embed/batch', 'Mixed text and image embeddings with ids (seed model-worker contract)', EmbedBatchRequest, EmbedBatchResponse), async (c) => {
    const started = performance.now();
    const body = await readJson(c, EmbedBatchRequest);
    if (body.model) c.set('model', body.model);
    const result = await embedMixed(tasks.embeddings, tasks.catalog, body.items, { model: body.model, signal: c.req.raw.signal });
    return c.json({
      results: body.items.map((item, i) => ({ id: item.id ?? null, embedding: Array.from(result.vectors[i]!) })),
      metadata: { total: body.items.length, text: result.counts.text, image: result.counts.image, duration: rounded(performance.now() - started) },
    });
  });
}
