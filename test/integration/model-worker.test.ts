import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLIP_REFERENCE, IMAGES, TINY_CAPTIONER_ID, TINY_CLIP_ID, TINY_COLPALI_ID } from '../helpers/paths.js';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';
import { cosine } from '../helpers/vectors.js';

interface ClipReference {
  images: Array<{ file: string; image_embeds: number[] }>;
  texts: Array<{ text: string; text_embeds: number[] }>;
}

const ref = JSON.parse(readFileSync(CLIP_REFERENCE, 'utf8')) as ClipReference;
const png = (file: string) => readFileSync(join(IMAGES, file)).toString('base64');

/** The homelab seed's model-worker contract (/embed/text, /embed/image, /embed/batch) as aliases of the embedding service. */
describe('seed model-worker contract', () => {
  let server: RunningServer;
  let minilm: (texts: string[]) => Promise<number[][]>;

  beforeAll(async () => {
    // A small request pixel cap, so the 1920×1080 test image alone crosses it.
    server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_MAX_REQUEST_PIXELS: '1000000' });
    minilm = async (texts) => {
      const res = await postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: texts });
      expect(res.status).toBe(200);
      return (res.json.data as Array<{ embedding: number[] }>).map((d) => d.embedding);
    };
  });
  afterAll(async () => {
    await server.stop();
  });

  it('POST /embed/text uses the default text model and equals /v1/embeddings', async () => {
    const texts = ['Hello world', 'Machine learning is awesome'];
    const res = await postJson(`${server.url}/embed/text`, { texts });
    expect(res.status).toBe(200);
    expect(res.json.metadata).toMatchObject({ count: 2, dimension: 384 });
    expect(typeof res.json.metadata.duration).toBe('number');
    const direct = await minilm(texts);
    res.json.embeddings.forEach((v: number[], i: number) => expect(cosine(v, direct[i]!)).toBeGreaterThanOrEqual(0.99999));
  });

  it('POST /embed/image takes data URLs and bare base64 and matches the CLIP reference', async () => {
    const [a, b] = [ref.images[0]!, ref.images[3]!];
    const images = [`data:image/${a.file.split('.').pop() === 'jpg' ? 'jpeg' : a.file.split('.').pop()};base64,${png(a.file)}`, png(b.file)];
    const res = await postJson(`${server.url}/embed/image`, { images, model: TINY_CLIP_ID });
    expect(res.status, JSON.stringify(res.json).slice(0, 200)).toBe(200);
    expect(res.json.metadata.count).toBe(2);
    expect(cosine(res.json.embeddings[0], a.image_embeds)).toBeGreaterThanOrEqual(0.9999);
    expect(cosine(res.json.embeddings[1], b.image_embeds)).toBeGreaterThanOrEqual(0.9999);
  });

  it('POST /embed/batch keeps ids and order; one named model puts text and images in one space', async () => {
    const items = [
      { id: 'file1', type: 'text', content: ref.texts[0]!.text },
      { id: 'file2', type: 'image', content: png(ref.images[1]!.file) },
      { type: 'text', content: ref.texts[1]!.text },
    ];
    const res = await postJson(`${server.url}/embed/batch`, { items, model: TINY_CLIP_ID });
    expect(res.status, JSON.stringify(res.json).slice(0, 200)).toBe(200);
    expect(res.json.results.map((r: { id: string | null }) => r.id)).toEqual(['file1', 'file2', null]);
    expect(res.json.metadata).toMatchObject({ total: 3, text: 2, image: 1 });
    const expected = [ref.texts[0]!.text_embeds, ref.images[1]!.image_embeds, ref.texts[1]!.text_embeds];
    res.json.results.forEach((r: { embedding: number[] }, i: number) => expect(cosine(r.embedding, expected[i]!)).toBeGreaterThanOrEqual(0.9999));
  });

  it('without a model, /embed/batch sends text to the default text model, as the seed worker did', async () => {
    const res = await postJson(`${server.url}/embed/batch`, { items: [{ id: 't', type: 'text', content: 'Hello world' }] });
    expect(res.status).toBe(200);
    const [direct] = await minilm(['Hello world']);
    expect(cosine(res.json.results[0].embedding, direct!)).toBeGreaterThanOrEqual(0.99999);
  });

  it('models imported without a manifest entry are listed with the task their files show, and Ollama capabilities to match', async () => {
    const res = await fetch(`${server.url}/api/models`);
    const models = ((await res.json()) as { models: Array<{ id: string; task: string }> }).models;
    const task = (id: string) => models.find((m) => m.id === id)?.task;
    expect([task(TINY_CLIP_ID), task(TINY_COLPALI_ID), task(TINY_CAPTIONER_ID)]).toEqual(['image-embedding', 'multivector-embedding', 'image-caption']);
    const show = async (model: string) => ((await postJson(`${server.url}/api/show`, { model })).json as { capabilities: string[] }).capabilities;
    expect(await show(TINY_CLIP_ID)).toEqual(['embedding', 'vision']);
    expect(await show(TINY_CAPTIONER_ID)).toEqual(['vision']);
    expect(await show('all-minilm')).toEqual(['embedding']);
  });

  describe('bad input', () => {
    it('missing or empty fields → 400 naming the field', async () => {
      for (const [path, body, param] of [
        ['/embed/text', {}, 'texts'],
        ['/embed/text', { texts: [] }, 'texts'],
        ['/embed/image', { images: [1] }, 'images.0'],
        ['/embed/batch', { items: [{ type: 'video', content: 'x' }] }, 'items.0.type'],
      ] as const) {
        const res = await postJson(`${server.url}${path}`, body);
        expect(res.status, path).toBe(400);
        expect(res.json.error.param, path).toBe(param);
      }
    });

    it('an unknown model → 404; a text model for images → 400', async () => {
      const unknown = await postJson(`${server.url}/embed/text`, { texts: ['x'], model: 'nope/nope' });
      expect(unknown.status).toBe(404);
      for (const path of ['/embed/image', '/embed/batch']) {
        const notFound = await postJson(`${server.url}${path}`, path === '/embed/image' ? { images: ['x'], model: 'nope/nope' } : { items: [{ type: 'text', content: 'x' }], model: 'nope/nope' });
        expect(notFound.status, path).toBe(404);
      }
      const wrong = await postJson(`${server.url}/embed/image`, { images: [png(ref.images[0]!.file)], model: 'all-minilm' });
      expect(wrong.status).toBe(400);
    });

    it('multipart → 415; corrupt image → 400', async () => {
      for (const path of ['/embed/text', '/embed/image', '/embed/batch']) {
        const form = new FormData();
        form.set('texts', 'x');
        const res = await fetch(`${server.url}${path}`, { method: 'POST', body: form });
        expect(res.status, path).toBe(415);
      }
      const corrupt = await postJson(`${server.url}/embed/image`, { images: ['iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB'], model: TINY_CLIP_ID });
      expect(corrupt.status).toBe(400);
    });

    it('images over the request pixel cap together → 413 before any is decoded in full', async () => {
      const small = png(ref.images[1]!.file);
      const big = readFileSync(join(IMAGES, 'gradient_1920x1080.jpg')).toString('base64');
      const res = await postJson(`${server.url}/embed/image`, { images: [small, big], model: TINY_CLIP_ID });
      expect(res.status).toBe(413);
      expect(res.json.error.message).toMatch(/1000000 pixels in all/);
      expect((await postJson(`${server.url}/embed/image`, { images: [small, small], model: TINY_CLIP_ID })).status).toBe(200);
    });

    it('the server is still alive', async () => {
      expect(server.alive()).toBe(true);
      expect((await postJson(`${server.url}/embed/text`, { texts: ['still here'] })).status).toBe(200);
    });
  });
});
