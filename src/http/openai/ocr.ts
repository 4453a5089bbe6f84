import { type OpenAPIHono, createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { invalidRequest } from '../../lib/errors.js';
import type { OcrRequest as TaskRequest } from '../../tasks/ocr/service.js';
import type { Tasks } from '../../tasks/index.js';
import type { AppEnv } from '../env.js';
import { readJson } from '../json-body.js';
import { formText, isMultipart, readForm } from '../multipart.js';
import { openAIErrors } from '../responses.js';
import { mount, timingHeaders } from '../route.js';
import { OcrForm, OcrRequest, OcrResponse } from '../schemas/ocr.js';

export const ocrRoute = createRoute({
  method: 'post',
  path: '/v1/ocr',
  tags: ['OpenAI'],
  summary: 'Read text from an image or PDF (Mistral OCR contract)',
  description:
    'JSON `{model?, document:{type:"image_url", image_url} | {type:"document_url", document_url}, pages?}` or multipart/form-data with a `file` (and optional `model`, `pages`). ' +
    'Runs PaddleOCR PP-OCRv4 in a supervised worker process; a blank page answers 200 with empty text.',
  request: { body: { required: true, content: { 'application/json': { schema: OcrRequest }, 'multipart/form-data': { schema: OcrForm } } } },
  responses: {
    200: { description: 'Pages read', content: { 'application/json': { schema: OcrResponse } } },
    ...openAIErrors([400, 404, 413, 415, 500, 503]),
  },
});

export function mountOpenAIOcr(app: OpenAPIHono<AppEnv>, tasks: Tasks): void {
  mount(app, ocrRoute, async (c) => {
    const request = isMultipart(c) ? await fromForm(c) : fromJson(await readJson(c, OcrRequest));
    if (request.model) c.set('model', request.model);
    const result = await tasks.ocr.ocr({ ...request, signal: c.req.raw.signal });
    timingHeaders(c, { queueMs: 0, inferenceMs: result.inferenceMs });
    return c.json({
      model: result.model,
      pages: result.pages.map((p) => ({
        index: p.index,
        markdown: p.markdown,
        text: p.text,
        ...(request.includeBlocks === false ? {} : { blocks: p.blocks.map(mistralBlock) }),
        images: [],
        dimensions: { width: p.dimensions.width, height: p.dimensions.height, dpi: p.dimensions.dpi ?? 72 },
        confidence_scores: p.blocks.length
          ? { average_page_confidence_score: mean(p.blocks.map((b) => b.confidence)), minimum_page_confidence_score: Math.min(...p.blocks.map((b) => b.confidence)) }
          : null,
      })),
      usage_info: { pages_processed: result.pages.length, doc_size_bytes: result.docSizeBytes },
    });
  });
}

const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1e4) / 1e4;

/** Hearth's block (text, confidence, quad) plus Mistral's names for the same (a text block with its bounds), so its SDKs parse it. */
function mistralBlock(b: { text: string; confidence: number; box: Array<[number, number]> }) {
  const xs = b.box.map((p) => p[0]);
  const ys = b.box.map((p) => p[1]);
  return {
    type: 'text' as const,
    text: b.text,
    confidence: b.confidence,
    box: b.box,
    content: b.text,
    top_left_x: Math.floor(Math.min(...xs)),
    top_left_y: Math.floor(Math.min(...ys)),
    bottom_right_x: Math.ceil(Math.max(...xs)),
    bottom_right_y: Math.ceil(Math.max(...ys)),
    confidence_scores: { average_content_confidence_score: b.confidence },
  };
}

type Parsed = TaskRequest & { includeBlocks?: boolean };

function fromJson(body: ReturnType<typeof OcrRequest.parse>): Parsed {
  const d = body.document;
  const document: TaskRequest['document'] =
    d.type === 'image_url' ? { type: 'image_url', image_url: typeof d.image_url === 'string' ? d.image_url : d.image_url.url } : { type: 'document_url', document_url: d.document_url };
  const pages = typeof body.pages === 'string' ? parsePages(body.pages) : (body.pages ?? undefined);
  return { model: body.model ?? undefined, document, pages, includeBlocks: body.include_blocks };
}

async function fromForm(c: Context<AppEnv>): Promise<Parsed> {
  const fields = await readForm(c);
  const files = fields.get('file') ?? [];
  const file = files[0];
  if (files.length !== 1 || file === undefined || typeof file === 'string') throw invalidRequest("multipart requests need exactly one 'file' field holding the image or PDF", 'file');
  return { model: formText(fields, 'model'), document: { type: 'upload', bytes: file.data }, pages: parsePages(formText(fields, 'pages')) };
}

/** `pages` as text: a JSON array ("[0,2]") or indices and ranges ("0,2-4"), 0-based. */
function parsePages(value: string | undefined): number[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  const bad = () => invalidRequest("'pages' must list 0-based page indices, e.g. [0,2] or \"0,2-4\"", 'pages');
  if (text.startsWith('[')) {
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      throw bad();
    }
    if (!Array.isArray(list) || !list.every((n) => Number.isInteger(n) && n >= 0)) throw bad();
    return list as number[];
  }
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw bad();
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > 10_000) throw bad();
    for (let p = from; p <= to; p++) out.push(p);
  }
  return out;
}
