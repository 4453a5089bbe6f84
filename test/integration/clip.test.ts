import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';
import { CLIP_REFERENCE, IMAGES, PYTHON, ROOT, TINY_CLIP_ID } from '../helpers/paths.js';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';
import { cosine, norm } from '../helpers/vectors.js';

interface ClipReference {
  images: Array<{ file: string; image_embeds: number[] }>;
  texts: Array<{ text: string; input_ids: number[]; text_embeds: number[] }>;
}

const ref = JSON.parse(readFileSync(CLIP_REFERENCE, 'utf8')) as ClipReference;
const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };
const dataUrl = (file: string) => `data:${MIME[file.split('.').pop()!]};base64,${readFileSync(join(IMAGES, file)).toString('base64')}`;

/** CLIP through /v1/embeddings vs transformers' CLIPModel on the same tiny weights (test/python/clip_reference.py). */
describe('CLIP image and text embeddings', () => {
  let server: RunningServer;
  let canary: LoopbackServer;
  const minimum: Record<string, number> = {};

  beforeAll(async () => {
    canary = await startLoopbackServer('127.0.0.1');
    server = await startServer({ HF_HOME: inject('hfHome') });
  });
  afterAll(async () => {
    await server.stop();
    await canary.close();
    console.log(`CLIP parity, min cosine: ${JSON.stringify(minimum)}`);
  });

  const embed = async (body: Record<string, unknown>) => {
    const res = await postJson(`${server.url}/v1/embeddings`, { model: TINY_CLIP_ID, ...body });
    expect(res.status, JSON.stringify(res.json).slice(0, 300)).toBe(200);
    return res.json as { data: Array<{ embedding: number[]; index: number }>; usage: { prompt_tokens: number; total_tokens: number } };
  };

  it(`every one of the ${ref.images.length} reference images matches CLIPModel.get_image_features (cosine ≥ 0.9999)`, async () => {
    expect(ref.images.length).toBeGreaterThanOrEqual(20);
    const cosines = await Promise.all(
      ref.images.map(async (image) => {
        const body = await embed({ modality: 'image', input: [dataUrl(image.file)] });
        expect(body.data).toHaveLength(1);
        expect(norm(body.data[0]!.embedding)).toBeCloseTo(1, 5);
        expect(body.usage.prompt_tokens).toBe(0);
        return cosine(body.data[0]!.embedding, image.image_embeds);
      }),
    );
    minimum.images = Math.min(...cosines);
    cosines.forEach((c, i) => expect(c, ref.images[i]!.file).toBeGreaterThanOrEqual(0.9999));
  });

  it(`text matches CLIPModel.get_text_features on ${ref.texts.length} strings, with CLIP token counts`, async () => {
    const body = await embed({ input: ref.texts.map((t) => t.text) });
    const cosines = body.data.map((d, i) => cosine(d.embedding, ref.texts[i]!.text_embeds));
    minimum.texts = Math.min(...cosines);
    cosines.forEach((c, i) => expect(c, JSON.stringify(ref.texts[i]!.text).slice(0, 60)).toBeGreaterThanOrEqual(0.9999));
    for (const d of body.data) expect(norm(d.embedding)).toBeCloseTo(1, 5);
    expect(body.usage.prompt_tokens).toBe(ref.texts.reduce((sum, t) => sum + t.input_ids.length, 0));
  });

  it('a mixed batch (data:image URIs and text in one request) keeps input order', async () => {
    const [a, b] = [ref.images[1]!, ref.images[9]!];
    const input = [ref.texts[0]!.text, dataUrl(a.file), ref.texts[2]!.text, dataUrl(b.file), ref.texts[5]!.text];
    const expected = [ref.texts[0]!.text_embeds, a.image_embeds, ref.texts[2]!.text_embeds, b.image_embeds, ref.texts[5]!.text_embeds];
    const body = await embed({ input });
    expect(body.data.map((d) => d.index)).toEqual([0, 1, 2, 3, 4]);
    body.data.forEach((d, i) => expect(cosine(d.embedding, expected[i]!), `item ${i}`).toBeGreaterThanOrEqual(0.9999));
    expect(body.usage.prompt_tokens).toBe(ref.texts[0]!.input_ids.length + ref.texts[2]!.input_ids.length + ref.texts[5]!.input_ids.length);
  });

  it('concurrent image requests are batched without mixing up their vectors', async () => {
    const picks = ref.images.slice(0, 8);
    const bodies = await Promise.all(picks.map((image) => embed({ modality: 'image', input: dataUrl(image.file) })));
    bodies.forEach((body, i) => expect(cosine(body.data[0]!.embedding, picks[i]!.image_embeds), picks[i]!.file).toBeGreaterThanOrEqual(0.9999));
  });

  it('openai-node with its default (base64) encoding embeds an image (modality passed as an extra body field)', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const image = ref.images[2]!;
    // @ts-expect-error `modality` is Hearth's (and Infinity's) extension of the OpenAI body
    const res = await client.embeddings.create({ model: TINY_CLIP_ID, input: [dataUrl(image.file)], modality: 'image' });
    expect(res.data).toHaveLength(1);
    expect(cosine(res.data[0]!.embedding, image.image_embeds)).toBeGreaterThanOrEqual(0.9999);
    const text = await client.embeddings.create({ model: TINY_CLIP_ID, input: ref.texts[1]!.text });
    expect(cosine(text.data[0]!.embedding, ref.texts[1]!.text_embeds)).toBeGreaterThanOrEqual(0.9999);
  });

  it('openai-python (default base64 encoding, modality through extra_body) embeds images and text', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-clip-py-'));
    const images = ref.images.slice(0, 4);
    const texts = ref.texts.slice(0, 3);
    const inputs = join(dir, 'inputs.json');
    await writeFile(inputs, JSON.stringify({ images: images.map((i) => dataUrl(i.file)), texts: texts.map((t) => t.text) }));
    const { stdout } = await promisify(execFile)(PYTHON, [join(ROOT, 'test/python/openai_clip_client.py'), `${server.url}/v1`, TINY_CLIP_ID, inputs], {
      env: { ...process.env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 120_000,
    });
    const out = JSON.parse(stdout) as { images: number[][]; texts: number[][] };
    out.images.forEach((v, i) => expect(cosine(v, images[i]!.image_embeds), images[i]!.file).toBeGreaterThanOrEqual(0.9999));
    out.texts.forEach((v, i) => expect(cosine(v, texts[i]!.text_embeds), texts[i]!.text).toBeGreaterThanOrEqual(0.9999));
  });

  describe('bad input', () => {
    const post = (body: Record<string, unknown>) => postJson(`${server.url}/v1/embeddings`, { model: TINY_CLIP_ID, ...body });

    it('corrupt base64 image → 400', async () => {
      const res = await post({ modality: 'image', input: ['data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB'] });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('invalid_request');
      const notBase64 = await post({ modality: 'image', input: ['not base64 at all!'] });
      expect(notBase64.status).toBe(400);
    });

    it('SVG data URL → 415', async () => {
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>').toString('base64');
      const res = await post({ input: [`data:image/svg+xml;base64,${svg}`] });
      expect(res.status).toBe(415);
      expect(res.json.error.code).toBe('unsupported_media_type');
    });

    it('URL to a non-allowlisted loopback canary → 400 url_not_allowed, and the canary sees no connection', async () => {
      const res = await post({ modality: 'image', input: [`${canary.url}/cat.png`] });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('url_not_allowed');
      expect(res.json.error.message).not.toContain('127.0.0.1');
      expect(canary.connections).toBe(0);
    });

    it('token-id input on an image model → 400; modality image on a text model → 400', async () => {
      const ids = await post({ input: [1, 2, 3] });
      expect(ids.status).toBe(400);
      expect(ids.json.error.message).toMatch(/token ids/);
      const text = await postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', modality: 'image', input: ['x'] });
      expect(text.status).toBe(400);
      expect(text.json.error.param).toBe('modality');
    });

    it('the server is still alive and serving', async () => {
      expect(server.alive()).toBe(true);
      await embed({ input: 'still here' });
    });
  });
});
