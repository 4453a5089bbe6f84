import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Tasks } from '../tasks/index.js';
import type { Multivector } from '../tasks/multivector/service.js';
import type { AppEnv } from './env.js';
import { readJson, validateBody } from './json-body.js';
import { npzBytes } from './npz.js';
import { openAIEmbeddings } from './openai/embeddings.js';
import { openAIErrors } from './responses.js';
import { mount, timingHeaders } from './route.js';

export const ColPaliRequest = z
  .object({
    input_type: z.enum(['text', 'image'], { error: "'input_type' must be 'text' or 'image'" }),
    inputs: z.array(z.string({ error: "'inputs' must be an array of strings (queries, or images as base64 / data URLs)" }), {
      error: "'inputs' must be an array of strings (queries, or images as base64 / data URLs)",
    }),
    model: z.string().min(1).optional().openapi({ description: 'Hearth: a multivector-embedding model; default HEARTH_COLPALI_MODEL, else the manifest default' }),
  })
  .openapi('ColPaliRequest', { example: { input_type: 'text', inputs: ['what is the total revenue?'] } });

const ColPaliResponse = z
  .object({ embeddings: z.array(z.array(z.array(z.number()))).openapi({ description: 'Per input, one unit vector per token: [input][token][dimension]' }) })
  .openapi('ColPaliResponse');

const NPZ_DESCRIPTION = 'NumPy .npz (numpy.load): count (int64 0-d), input_type (<U5 0-d), emb_0 … emb_{count-1} (float32, n_vectors × dim)';

export const colpaliRoute = createRoute({
  method: 'post',
  path: '/embeddings',
  tags: ['ColPali'],
  summary: 'Multivector embeddings (ColPali contract); OpenAI-shaped bodies ({model, input}) are answered as /v1/embeddings',
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: z.union([ColPaliRequest, z.object({ model: z.string(), input: z.unknown() }).passthrough()]) } },
    },
  },
  responses: {
    200: {
      description: 'A multivector per input: JSON, or NPZ when Accept asks for application/x-npz or application/octet-stream (or HEARTH_COLPALI_DEFAULT_FORMAT=npz and Accept names neither)',
      content: {
        'application/json': { schema: ColPaliResponse },
        'application/x-npz': { schema: z.string().openapi({ format: 'binary', description: NPZ_DESCRIPTION }) },
      },
    },
    ...openAIErrors([400, 404, 413, 415, 503]),
  },
});

export function mountColPali(app: OpenAPIHono<AppEnv>, tasks: Tasks, options: { defaultFormat: 'json' | 'npz' }): void {
  mount(app, colpaliRoute, async (c) => {
    const raw = await readJson(c, z.record(z.string(), z.unknown()));
    // Clients whose base URL lacks /v1 post OpenAI bodies here; the ColPali body has `inputs`, theirs `input`.
    if ('input' in raw && !('inputs' in raw)) return openAIEmbeddings(c, tasks);
    const body = validateBody(ColPaliRequest, raw);
    const format = responseFormat(c.req.header('accept'), options.defaultFormat);
    const result = await tasks.multivector.embed({ model: body.model, inputType: body.input_type, inputs: body.inputs, signal: c.req.raw.signal });
    c.set('model', result.modelId);
    c.set('tokens', result.promptTokens);
    timingHeaders(c, result);
    if (format === 'npz') {
      return c.body(toNpz(body.input_type, result.embeddings) as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/x-npz' });
    }
    return c.json({ embeddings: result.embeddings.map(toRows) });
  });
}

/**
 * NPZ when Accept prefers application/x-npz or application/octet-stream, JSON when it prefers
 * application/json; with neither named (no Accept, or *\/*: the client in the wild), the configured default.
 */
export function responseFormat(accept: string | undefined, fallback: 'json' | 'npz'): 'json' | 'npz' {
  const ranked = (accept ?? '')
    .split(',')
    .map((part, order) => {
      const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? 1);
      return { type, q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((e) => e.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  for (const { type } of ranked) {
    if (type === 'application/x-npz' || type === 'application/octet-stream') return 'npz';
    if (type === 'application/json') return 'json';
  }
  return fallback;
}

function toRows(m: Multivector): number[][] {
  return Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.dimensions, (r + 1) * m.dimensions)));
}

function toNpz(inputType: 'text' | 'image', embeddings: Multivector[]): Uint8Array {
  return npzBytes([
    ['count', { dtype: '<i8', shape: [], data: BigInt64Array.of(BigInt(embeddings.length)) }],
    ['input_type', { dtype: '<U5', shape: [], data: inputType }],
    ...embeddings.map((m, i): [string, { dtype: '<f4'; shape: number[]; data: Float32Array }] => [`emb_${i}`, { dtype: '<f4', shape: [m.rows, m.dimensions], data: m.data }]),
  ]);
}
