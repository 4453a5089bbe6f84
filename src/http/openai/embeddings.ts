import { type OpenAPIHono, createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Tasks } from '../../tasks/index.js';
import type { AppEnv } from '../env.js';
import { readJson } from '../json-body.js';
import { keepAliveMs, mount, timingHeaders } from '../route.js';
import { openAIErrors } from '../responses.js';
import { EmbeddingsRequest, EmbeddingsResponse } from '../schemas/embeddings.js';

const errors = openAIErrors;

export const embeddingsRoute = createRoute({
  method: 'post',
  path: '/v1/embeddings',
  tags: ['OpenAI'],
  summary: 'Create embeddings (OpenAI contract)',
  request: { body: { required: true, content: { 'application/json': { schema: EmbeddingsRequest } } } },
  responses: {
    200: { description: 'Embeddings', content: { 'application/json': { schema: EmbeddingsResponse } } },
    ...errors([400, 401, 404, 413, 415, 500, 503]),
  },
});

export function mountOpenAIEmbeddings(app: OpenAPIHono<AppEnv>, tasks: Tasks): void {
  mount(app, embeddingsRoute, (c) => openAIEmbeddings(c, tasks));
}

/** The OpenAI embeddings handler; also answers OpenAI-shaped bodies sent to the ColPali path (/embeddings). */
export async function openAIEmbeddings(c: Context<AppEnv>, tasks: Tasks): Promise<Response> {
  const body = await readJson(c, EmbeddingsRequest);
  c.set('model', body.model);
  const result = await tasks.embeddings.embed({
    model: body.model,
    input: body.input,
    dimensions: body.dimensions,
    truncate: body.truncate,
    modality: body.modality,
    keepAliveMs: keepAliveMs(body.keep_alive),
    signal: c.req.raw.signal,
  });
  timingHeaders(c, result);
  c.set('tokens', result.promptTokens);
  c.header('x-truncated-inputs', String(result.truncatedInputs));
  const base64 = body.encoding_format === 'base64';
  return c.json({
    object: 'list' as const,
    data: result.vectors.map((v, index) => ({
      object: 'embedding' as const,
      index,
      embedding: base64 ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v),
    })),
    model: result.model,
    usage: {
      prompt_tokens: result.promptTokens,
      total_tokens: result.promptTokens,
      ...(result.truncatedInputs > 0 ? { truncated_inputs: result.truncatedInputs } : {}),
    },
  });
}
