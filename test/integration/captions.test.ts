import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';
import { CAPTIONER_REFERENCE, IMAGES, PYTHON, ROOT, TINY_CAPTIONER_ID } from '../helpers/paths.js';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';

interface Generated {
  token_ids: number[];
  caption: string;
}
interface CaptionerReference {
  eos_token_id: number;
  prompt: { text: string; token_ids: number[] };
  distinct_captions: number;
  min_margin: number;
  images: Array<Generated & { file: string; short: Generated & { max_new_tokens: number }; prompted: Generated }>;
}
interface CaptionsBody {
  object: 'list';
  model: string;
  data: Array<{ index: number; caption: string; finish_reason: 'stop' | 'length'; token_ids?: number[] }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  request_id: string;
  processing_time_ms: number;
}

const ref = JSON.parse(readFileSync(CAPTIONER_REFERENCE, 'utf8')) as CaptionerReference;
const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };
const mime = (file: string) => MIME[file.split('.').pop()!]!;
const dataUrl = (file: string) => `data:${mime(file)};base64,${readFileSync(join(IMAGES, file)).toString('base64')}`;
/** The reference's ids without the end-of-sequence token: what a caption is made of. */
const captionIds = (g: Generated) => (g.token_ids.at(-1) === ref.eos_token_id ? g.token_ids.slice(0, -1) : g.token_ids);

/** /v1/images/captions vs transformers' VisionEncoderDecoderModel.generate on the same tiny ViT-GPT2 (test/python/captioner_reference.py). */
describe('image captions', () => {
  let server: RunningServer;
  let canary: LoopbackServer;
  /** An allowlisted image host: /img/<file> serves a reference image, /away redirects to the canary. */
  let origin: LoopbackServer;

  beforeAll(async () => {
    canary = await startLoopbackServer('127.0.0.1');
    origin = await startLoopbackServer('127.0.0.5', (req, res) => {
      const file = /^\/img\/([\w.]+)$/.exec(req.url ?? '')?.[1];
      if (file && ref.images.some((image) => image.file === file)) {
        res.writeHead(200, { 'content-type': mime(file) }).end(readFileSync(join(IMAGES, file)));
      } else if (req.url === '/away') {
        res.writeHead(302, { location: `${canary.url}/cat.png` }).end();
      } else {
        res.writeHead(404).end();
      }
    });
    // A low pixel cap makes a 413 cheap to provoke; every reference image is under it. A batch window lets
    // concurrent requests whose images decode at different speeds still meet in one run.
    server = await startServer({
      HF_HOME: inject('hfHome'),
      HEARTH_MAX_IMAGE_PIXELS: '4000000',
      HEARTH_BATCH_WINDOW_MS: '30',
      HEARTH_EGRESS_ALLOWLIST: '127.0.0.5',
      HEARTH_EGRESS_PORTS: String(origin.port),
    });
  });
  afterAll(async () => {
    await server.stop();
    await canary.close();
    await origin.close();
  });

  const post = (body: Record<string, unknown>, headers: Record<string, string> = {}, query = '') =>
    postJson(`${server.url}/v1/images/captions${query}`, { model: TINY_CAPTIONER_ID, ...body }, headers);
  const captions = async (body: Record<string, unknown>) => {
    const res = await post({ return_token_ids: true, ...body });
    expect(res.status, JSON.stringify(res.json).slice(0, 300)).toBe(200);
    return res.json as CaptionsBody;
  };

  /** Runs and items the batcher reported for the captioner (Prometheus batch_size histogram). */
  const batchRuns = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const value = (suffix: string) => {
      const line = text.split('\n').find((l) => l.includes(`batch_size_${suffix}{`) && l.includes(`model="${TINY_CAPTIONER_ID}"`));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    return { runs: value('count'), items: value('sum') };
  };

  it('the fixture is meaningful: captions differ per image, some end on their own, and no greedy step is near a tie', () => {
    expect(ref.images.length).toBeGreaterThanOrEqual(10);
    expect(ref.distinct_captions).toBeGreaterThanOrEqual(ref.images.length / 2);
    expect(ref.min_margin).toBeGreaterThan(1e-3);
    // Both endings occur: captions the model stops itself and captions max length cuts.
    const stopped = ref.images.filter((image) => image.token_ids.at(-1) === ref.eos_token_id).length;
    expect(stopped).toBeGreaterThanOrEqual(3);
    expect(stopped).toBeLessThanOrEqual(ref.images.length - 3);
  });

  it(`every one of the ${ref.images.length} reference images gets transformers' greedy tokens, token for token`, async () => {
    for (const image of ref.images) {
      const body = await captions({ image: dataUrl(image.file) });
      expect(body.object).toBe('list');
      expect(body.model).toBe(TINY_CAPTIONER_ID);
      expect(body.data).toHaveLength(1);
      expect(body.data[0]!.token_ids, image.file).toEqual(captionIds(image));
      expect(body.data[0]!.caption, image.file).toBe(image.caption);
      expect(body.usage.completion_tokens).toBe(image.token_ids.length);
      expect(body.usage.prompt_tokens).toBe(0);
      expect(body.usage.total_tokens).toBe(image.token_ids.length);
      expect(body.data[0]!.finish_reason).toBe(image.token_ids.at(-1) === ref.eos_token_id ? 'stop' : 'length');
      expect(typeof body.request_id).toBe('string');
      expect(body.processing_time_ms).toBeGreaterThan(0);
    }
  });

  it('batching does not change a caption: concurrent requests and one many-image request equal the sequential ones', async () => {
    const picks = ref.images.slice(0, 12);
    const before = await batchRuns();
    const concurrent = await Promise.all(picks.map((image) => captions({ image: dataUrl(image.file) })));
    concurrent.forEach((body, i) => expect(body.data[0]!.token_ids, picks[i]!.file).toEqual(captionIds(picks[i]!)));
    // The 12 requests were merged into fewer runs than requests (the worker is busy while they queue).
    const after = await batchRuns();
    expect(after.items - before.items).toBe(picks.length);
    expect(after.runs - before.runs).toBeLessThan(picks.length);
    const together = await captions({ images: picks.map((image) => dataUrl(image.file)) });
    expect(together.data.map((d) => d.index)).toEqual(picks.map((_, i) => i));
    together.data.forEach((d, i) => expect(d.token_ids, picks[i]!.file).toEqual(captionIds(picks[i]!)));
    expect(together.usage.completion_tokens).toBe(picks.reduce((sum, image) => sum + image.token_ids.length, 0));
    // Mixed budgets and prompts in flight at once: each request still gets exactly its own answer.
    const [a, b, c] = [ref.images[3]!, ref.images[5]!, ref.images[7]!];
    const mixed = await Promise.all([
      captions({ image: dataUrl(a.file), max_tokens: a.short.max_new_tokens }),
      captions({ image: dataUrl(b.file), prompt: ref.prompt.text }),
      captions({ image: dataUrl(c.file) }),
    ]);
    expect(mixed[0].data[0]!.token_ids).toEqual(captionIds(a.short));
    expect(mixed[1].data[0]!.token_ids).toEqual(captionIds(b.prompted));
    expect(mixed[2].data[0]!.token_ids).toEqual(captionIds(c));
  });

  it('max_tokens caps the new tokens and says so in finish_reason', async () => {
    for (const image of ref.images.slice(0, 6)) {
      const body = await captions({ image: dataUrl(image.file), max_tokens: image.short.max_new_tokens });
      expect(body.data[0]!.token_ids, image.file).toEqual(captionIds(image.short));
      expect(body.data[0]!.caption).toBe(image.short.caption);
      expect(body.usage.completion_tokens).toBe(image.short.token_ids.length);
      expect(body.usage.completion_tokens).toBeLessThanOrEqual(image.short.max_new_tokens);
    }
    const one = await captions({ image: dataUrl(ref.images[0]!.file), max_tokens: 1 });
    expect(one.data[0]!.token_ids).toHaveLength(1);
    expect(one.data[0]!.finish_reason).toBe('length');
  });

  it('a prompt is forced into the decoder: the caption is what transformers generates after it', async () => {
    for (const image of ref.images.slice(0, 4)) {
      const body = await captions({ image: dataUrl(image.file), prompt: ref.prompt.text });
      expect(body.data[0]!.token_ids, image.file).toEqual(captionIds(image.prompted));
      expect(body.data[0]!.caption).toBe(image.prompted.caption);
      expect(body.usage.prompt_tokens).toBe(ref.prompt.token_ids.length);
    }
  });

  it('multipart/form-data with fetch FormData: one or several image files', async () => {
    const [a, b] = [ref.images[1]!, ref.images[9]!];
    const form = new FormData();
    form.append('model', TINY_CAPTIONER_ID);
    form.append('image', new Blob([readFileSync(join(IMAGES, a.file))], { type: mime(a.file) }), a.file);
    form.append('image', new Blob([readFileSync(join(IMAGES, b.file))], { type: mime(b.file) }), b.file);
    const res = await fetch(`${server.url}/v1/images/captions`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const body = (await res.json()) as CaptionsBody;
    expect(body.data.map((d) => d.caption)).toEqual([a.caption, b.caption]);

    const short = new FormData();
    short.append('model', TINY_CAPTIONER_ID);
    short.append('max_tokens', String(a.short.max_new_tokens));
    short.append('image', new Blob([readFileSync(join(IMAGES, a.file))]), a.file);
    const shortBody = (await (await fetch(`${server.url}/v1/images/captions`, { method: 'POST', body: short })).json()) as CaptionsBody;
    expect(shortBody.data[0]!.caption).toBe(a.short.caption);
  });

  it('multipart with curl -F (the documented client), including the Hugging Face shape', async () => {
    const image = ref.images[4]!;
    const run = (...args: string[]) => promisify(execFile)('curl', ['-sS', '--max-time', '60', ...args, `${server.url}/v1/images/captions`]);
    const { stdout } = await run('-F', `model=${TINY_CAPTIONER_ID}`, '-F', `image=@${join(IMAGES, image.file)}`);
    const body = JSON.parse(stdout) as CaptionsBody;
    expect(body.data[0]!.caption).toBe(image.caption);
    expect(body.usage.completion_tokens).toBe(image.token_ids.length);
    const hf = await run('-F', `model=${TINY_CAPTIONER_ID}`, '-F', 'response_format=hf', '-F', `image=@${join(IMAGES, image.file)}`);
    expect(JSON.parse(hf.stdout)).toEqual([{ generated_text: image.caption }]);
  });

  it("answers the Hugging Face image-to-text shape for ?format=hf, Accept and response_format: 'hf'", async () => {
    const [a, b] = [ref.images[2]!, ref.images[6]!];
    const expected = [{ generated_text: a.caption }, { generated_text: b.caption }];
    const images = [dataUrl(a.file), dataUrl(b.file)];
    const byQuery = await post({ images }, {}, '?format=hf');
    expect(byQuery.status).toBe(200);
    expect(byQuery.json).toEqual(expected);
    const byAccept = await post({ images }, { accept: 'application/vnd.huggingface+json' });
    expect(byAccept.json).toEqual(expected);
    const byBody = await post({ image: images[0], response_format: 'hf' });
    expect(byBody.json).toEqual(expected.slice(0, 1));
    const openai = await post({ image: images[0] }, { accept: 'application/json' });
    expect(openai.json.object).toBe('list');
  });

  it("huggingface_hub's InferenceClient.image_to_text works unmodified (a raw image body, the HF shape back)", async () => {
    const picks = [ref.images[10]!, ref.images[15]!];
    const url = `${server.url}/v1/images/captions?model=${encodeURIComponent(TINY_CAPTIONER_ID)}`;
    const { stdout } = await promisify(execFile)(PYTHON, [join(ROOT, 'test/python/hf_image_to_text.py'), url, ...picks.map((p) => join(IMAGES, p.file))], {
      env: { ...process.env, HF_TOKEN: '', HF_HUB_OFFLINE: '0' },
    });
    expect(JSON.parse(stdout)).toEqual(picks.map((p) => p.caption));
    // The same raw body with ?format=openai gets the OpenAI-style list.
    const raw = await fetch(`${url}&format=openai`, { method: 'POST', headers: { 'content-type': mime(picks[0]!.file) }, body: readFileSync(join(IMAGES, picks[0]!.file)) });
    expect(((await raw.json()) as CaptionsBody).data[0]!.caption).toBe(picks[0]!.caption);
    const empty = await fetch(url, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(0) });
    expect(empty.status).toBe(400);
  });

  it('an image URL on an allowlisted host is fetched through the egress guard and captioned', async () => {
    const image = ref.images[12]!;
    const body = await captions({ images: [`${origin.url}/img/${image.file}`, dataUrl(image.file)] });
    expect(body.data.map((d) => d.token_ids)).toEqual([captionIds(image), captionIds(image)]);
  });

  describe('bad input', () => {
    it('corrupt or non-image data → 400; SVG → 415', async () => {
      const corrupt = await post({ image: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB' });
      expect(corrupt.status).toBe(400);
      expect(corrupt.json.error.code).toBe('invalid_request');
      expect((await post({ image: 'not base64 at all!' })).status).toBe(400);
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>').toString('base64');
      const refused = await post({ image: `data:image/svg+xml;base64,${svg}` });
      expect(refused.status).toBe(415);
      expect(refused.json.error.code).toBe('unsupported_media_type');
    });

    it('an image over the pixel limit → 413 before decoding', async () => {
      const big = await sharp({ create: { width: 2100, height: 2000, channels: 3, background: { r: 9, g: 99, b: 199 } } }).png().toBuffer();
      const res = await post({ image: `data:image/png;base64,${big.toString('base64')}` });
      expect(res.status).toBe(413);
      expect(res.json.error.code).toBe('payload_too_large');
    });

    it('URL to a non-allowlisted loopback canary, directly or by redirect → 400 url_not_allowed; the canary sees no connection', async () => {
      const res = await post({ image: `${canary.url}/cat.png` });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('url_not_allowed');
      const redirected = await post({ image: `${origin.url}/away` });
      expect(redirected.status).toBe(400);
      expect(redirected.json.error.code).toBe('url_not_allowed');
      expect(origin.requests.map((r) => r.url)).toContain('/away'); // the hop was made, the redirect refused
      expect(canary.connections).toBe(0);
    });

    it('unknown or non-captioning model → 404', async () => {
      const unknown = await post({ model: 'nobody/no-such-captioner', image: dataUrl(ref.images[0]!.file) });
      expect(unknown.status).toBe(404);
      expect(unknown.json.error.code).toBe('model_not_found');
      const embedder = await post({ model: 'all-minilm', image: dataUrl(ref.images[0]!.file) });
      expect(embedder.status).toBe(404);
      expect(embedder.json.error.message).toMatch(/text-embedding model, not image-caption/);
    });

    it('malformed requests → 400 with the offending parameter', async () => {
      const image = dataUrl(ref.images[0]!.file);
      const cases: Array<[Record<string, unknown>, string]> = [
        [{}, 'image'],
        [{ image, images: [image] }, 'image'],
        [{ images: [] }, 'images'],
        [{ image: 42 }, 'image'],
        [{ image, max_tokens: 0 }, 'max_tokens'],
        [{ image, max_tokens: 1.5 }, 'max_tokens'],
        [{ image, max_tokens: 10_000 }, 'max_tokens'],
        [{ image, response_format: 'xml' }, 'response_format'],
      ];
      for (const [body, param] of cases) {
        const res = await post(body);
        expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(res.json.error.param, JSON.stringify(res.json)).toBe(param);
      }
      expect((await post({ image }, {}, '?format=yaml')).status).toBe(400);
      const notJson = await fetch(`${server.url}/v1/images/captions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"image": ' });
      expect(notJson.status).toBe(400);
      const noFile = new FormData();
      noFile.append('model', TINY_CAPTIONER_ID);
      const empty = await fetch(`${server.url}/v1/images/captions`, { method: 'POST', body: noFile });
      expect(empty.status).toBe(400);
      const badMax = new FormData();
      badMax.append('image', new Blob([readFileSync(join(IMAGES, ref.images[0]!.file))]), 'x.png');
      badMax.append('max_tokens', 'many');
      expect((await fetch(`${server.url}/v1/images/captions`, { method: 'POST', body: badMax })).status).toBe(400);
    });

    it('the server is still alive and captioning', async () => {
      expect(server.alive()).toBe(true);
      const body = await captions({ image: dataUrl(ref.images[0]!.file) });
      expect(body.data[0]!.caption).toBe(ref.images[0]!.caption);
      expect(server.stray).toEqual([]);
    });
  });
});
