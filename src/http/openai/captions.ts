import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { invalidRequest } from '../../lib/errors.js';
import type { CaptionRequest } from '../../tasks/caption/service.js';
import type { Tasks } from '../../tasks/index.js';
import type { AppEnv } from '../env.js';
import { readJson } from '../json-body.js';
import { formText, isMultipart, readForm } from '../multipart.js';
import { openAIErrors } from '../responses.js';
import { keepAliveMs, mount, timingHeaders } from '../route.js';
import { CaptionsForm, CaptionsRequest, CaptionsResponse, HfCaptionsResponse } from '../schemas/captions.js';

const HF_ACCEPT = /application\/vnd\.huggingface\+json/i;
/** A raw image body, as huggingface_hub's InferenceClient.image_to_text sends it. */
const isRawImage = (c: Context<AppEnv>) => /^\s*(image\/|application\/octet-stream)/i.test(c.req.header('content-type') ?? '');

export const captionsRoute = createRoute({
  method: 'post',
  path: '/v1/images/captions',
  tags: ['Images'],
  summary: 'Caption images (encoder-decoder captioner, greedy)',
  description:
    'JSON `{model?, image | images[], prompt?, max_tokens?, response_format?}` or multipart/form-data with `image` file(s) and the same fields. ' +
    'A raw image body (`Content-Type: image/*` or application/octet-stream, model in `?model=`) is what huggingface_hub\'s ' +
    '`InferenceClient.image_to_text` sends: it is answered in the Hugging Face shape unless `?format=openai`. ' +
    'Greedy decoding; `max_tokens` caps the new tokens of each caption. `prompt` is forced into the decoder after its start token (ViT-GPT2 has no ' +
    'prompt of its own: this conditions the caption) and the caption returned is the text that follows it. The Hugging Face image-to-text shape ' +
    '`[{"generated_text": …}]` (one entry per image, in order) answers `response_format: "hf"`, `?format=hf` or `Accept: application/vnd.huggingface+json`.',
  request: {
    query: z.object({ format: z.enum(['openai', 'hf']).optional(), model: z.string().optional().openapi({ description: 'The model, for raw image bodies' }) }),
    body: {
      required: true,
      content: {
        'application/json': { schema: CaptionsRequest },
        'multipart/form-data': { schema: CaptionsForm },
        'application/octet-stream': { schema: z.string().openapi({ format: 'binary', description: 'One raw image (also as image/*)' }) },
      },
    },
  },
  responses: {
    200: { description: 'Captions (or the Hugging Face shape when asked)', content: { 'application/json': { schema: z.union([CaptionsResponse, HfCaptionsResponse]) } } },
    // 400 bad input or url_not_allowed; 404 unknown model; 413 image too large; 415 not an image (SVG, PDF…); 503 model load / overloaded.
    ...openAIErrors([400, 404, 413, 415, 503]),
  },
});

interface ParsedCaptions {
  request: Omit<CaptionRequest, 'signal'>;
  hf: boolean;
  tokenIds?: boolean;
}

export function mountOpenAICaptions(app: OpenAPIHono<AppEnv>, tasks: Tasks): void {
  mount(app, captionsRoute, async (c) => {
    const started = performance.now();
    const format = c.req.query('format');
    if (format !== undefined && format !== 'hf' && format !== 'openai') throw invalidRequest("'format' must be 'openai' or 'hf'", 'format');
    const { request, hf: hfBody, tokenIds } = isMultipart(c) ? await fromForm(c) : isRawImage(c) ? await fromRaw(c) : await fromJson(c);
    const hf = format === 'hf' || (format !== 'openai' && (hfBody || HF_ACCEPT.test(c.req.header('accept') ?? '')));
    if (request.model) c.set('model', request.model);
    const result = await tasks.captions.caption({ ...request, signal: c.req.raw.signal });
    c.set('model', result.modelId);
    c.set('tokens', result.promptTokens + result.completionTokens);
    timingHeaders(c, result);
    if (hf) return c.json(result.captions.map((row) => ({ generated_text: row.caption })));
    return c.json({
      object: 'list' as const,
      model: result.model,
      data: result.captions.map((row, index) => ({ index, caption: row.caption, finish_reason: row.finish, ...(tokenIds ? { token_ids: row.ids } : {}) })),
      usage: { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens, total_tokens: result.promptTokens + result.completionTokens },
      request_id: c.var.requestId,
      processing_time_ms: Math.round((performance.now() - started) * 100) / 100,
    });
  });
}

async function fromJson(c: Context<AppEnv>): Promise<ParsedCaptions> {
  const body = await readJson(c, CaptionsRequest);
  return {
    request: {
      model: body.model,
      images: body.images ?? [body.image!],
      prompt: body.prompt,
      maxTokens: body.max_tokens,
      keepAliveMs: keepAliveMs(body.keep_alive),
    },
    hf: body.response_format === 'hf',
    tokenIds: body.return_token_ids,
  };
}

async function fromRaw(c: Context<AppEnv>): Promise<ParsedCaptions> {
  const data = new Uint8Array(await c.req.arrayBuffer());
  return { request: { model: c.req.query('model') || undefined, images: data.byteLength ? [{ kind: 'bytes', data }] : [] }, hf: true };
}

async function fromForm(c: Context<AppEnv>): Promise<ParsedCaptions> {
  const fields = await readForm(c);
  const images: CaptionRequest['images'] = [...(fields.get('image') ?? []), ...(fields.get('images') ?? [])].map((v) => (typeof v === 'string' ? v : { kind: 'bytes', data: v.data }));
  const maxTokens = formText(fields, 'max_tokens');
  if (maxTokens !== undefined && !/^\s*\d+\s*$/.test(maxTokens)) throw invalidRequest("'max_tokens' must be a positive integer", 'max_tokens');
  const parsedMax = maxTokens === undefined ? undefined : Number(maxTokens);
  if (parsedMax !== undefined && parsedMax < 1) throw invalidRequest("'max_tokens' must be a positive integer", 'max_tokens');
  const format = formText(fields, 'response_format');
  if (format !== undefined && format !== 'hf' && format !== 'openai') throw invalidRequest("'response_format' must be 'openai' or 'hf'", 'response_format');
  const keepAlive = formText(fields, 'keep_alive');
  return {
    request: {
      model: formText(fields, 'model') || undefined,
      images,
      prompt: formText(fields, 'prompt'),
      maxTokens: parsedMax,
      keepAliveMs: keepAlive === undefined ? undefined : keepAliveMs(/^-?\d+$/.test(keepAlive) ? Number(keepAlive) : keepAlive),
    },
    hf: format === 'hf',
  };
}
