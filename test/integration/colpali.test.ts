import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';
import { COLPALI_REFERENCE, IMAGES, PYTHON, ROOT, TINY_COLPALI_ID } from '../helpers/paths.js';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';
import { cosine, norm } from '../helpers/vectors.js';

interface Entry {
  input_ids: number[];
  embeddings: number[][];
}
interface ColPaliReference {
  image_seq_length: number;
  images: Array<Entry & { file: string }>;
  texts: Array<Entry & { text: string }>;
}

const ref = JSON.parse(readFileSync(COLPALI_REFERENCE, 'utf8')) as ColPaliReference;
const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };
const base64 = (file: string) => readFileSync(join(IMAGES, file)).toString('base64');
const dataUrl = (file: string) => `data:${MIME[file.split('.').pop()!]};base64,${base64(file)}`;
const KEY = 'colpali-test-key';

/** Per-vector cosines of a multivector against the reference's, after checking the shapes agree. */
function vectorCosines(got: number[][], expected: number[][]): number[] {
  expect(got.length).toBe(expected.length);
  return got.map((row, i) => cosine(row, expected[i]!));
}

/** The .npy arrays of an .npz, parsed by hand from the format spec (the Python test reads it with numpy). */
function readNpz(bytes: Uint8Array): Record<string, { descr: string; shape: number[]; data: Uint8Array }> {
  const files = unzipSync(bytes);
  return Object.fromEntries(
    Object.entries(files).map(([name, b]) => {
      expect([...b.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      const length = b[8]! | (b[9]! << 8);
      expect((10 + length) % 64).toBe(0);
      const header = Buffer.from(b.subarray(10, 10 + length)).toString('latin1');
      const descr = /'descr': '([^']+)'/.exec(header)![1]!;
      const shape = /'shape': \(([^)]*)\)/.exec(header)![1]!.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
      return [name.replace(/\.npy$/, ''), { descr, shape, data: b.subarray(10 + length) }];
    }),
  );
}

/** POST /embeddings (the ColPali contract) vs transformers' ColPaliProcessor + ColPaliForRetrieval (test/python/colpali_reference.py). */
describe('ColPali contract: POST /embeddings', () => {
  let server: RunningServer;
  let canary: LoopbackServer;
  const minimum: Record<string, number> = {};
  const post = (body: unknown, headers: Record<string, string> = {}) => postJson(`${server.url}/embeddings`, body, headers);

  beforeAll(async () => {
    canary = await startLoopbackServer('127.0.0.1');
    server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_COLPALI_MODEL: TINY_COLPALI_ID, HEARTH_COLPALI_MAX_INPUTS: '32' });
  });
  afterAll(async () => {
    await server.stop();
    await canary.close();
    console.log(`ColPali parity, min per-vector cosine: ${JSON.stringify(minimum)}`);
  });

  it(`${ref.images.length} images (bare base64 and data URLs, in concurrent requests) match ColPaliForRetrieval per vector (cosine ≥ 0.999)`, async () => {
    expect(ref.images.length).toBeGreaterThanOrEqual(10);
    const groups = [ref.images.slice(0, 5), ref.images.slice(5, 6), ref.images.slice(6, 15), ref.images.slice(15)];
    const bodies = await Promise.all(
      groups.map(async (group, g) => {
        const inputs = group.map((e, i) => ((g + i) % 2 ? dataUrl(e.file) : base64(e.file)));
        const res = await post({ input_type: 'image', inputs });
        expect(res.status, JSON.stringify(res.json).slice(0, 300)).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        return res.json.embeddings as number[][][];
      }),
    );
    const cosines = groups.flatMap((group, g) =>
      group.flatMap((e, i) => {
        const got = bodies[g]![i]!;
        // One vector per image token plus the visual prompt (bos, "Describe the image.", "\n").
        expect(got.length, e.file).toBe(e.input_ids.length);
        expect(got.length).toBeGreaterThan(ref.image_seq_length);
        for (const row of got) expect(norm(row)).toBeCloseTo(1, 4);
        return vectorCosines(got, e.embeddings).map((c) => ({ c, file: e.file }));
      }),
    );
    minimum.images = Math.min(...cosines.map((x) => x.c));
    for (const { c, file } of cosines) expect(c, file).toBeGreaterThanOrEqual(0.999);
  });

  it(`${ref.texts.length} queries match process_queries + the model per vector; augmentation tokens kept, batch padding dropped`, async () => {
    expect(ref.texts.length).toBeGreaterThanOrEqual(10);
    const res = await post({ input_type: 'text', inputs: ref.texts.map((t) => t.text) });
    expect(res.status, JSON.stringify(res.json).slice(0, 300)).toBe(200);
    const got = res.json.embeddings as number[][][];
    expect(got).toHaveLength(ref.texts.length);
    // Different lengths in one batch: each input keeps exactly its own tokens (bos + prefix + text + 10 augmentation + "\n").
    expect(new Set(got.map((m) => m.length)).size).toBeGreaterThan(3);
    const cosines = ref.texts.flatMap((t, i) => {
      expect(got[i]!.length, JSON.stringify(t.text).slice(0, 40)).toBe(t.input_ids.length);
      return vectorCosines(got[i]!, t.embeddings);
    });
    minimum.texts = Math.min(...cosines);
    for (const c of cosines) expect(c).toBeGreaterThanOrEqual(0.999);
    expect(Number(res.headers.get('x-inference-time'))).toBeGreaterThan(0);
  });

  it('concurrent single-query requests are batched without mixing up their multivectors', async () => {
    const picks = ref.texts.slice(0, 8);
    const all = await Promise.all(picks.map((t) => post({ input_type: 'text', inputs: [t.text] })));
    all.forEach((res, i) => {
      expect(res.status).toBe(200);
      for (const c of vectorCosines(res.json.embeddings[0], picks[i]!.embeddings)) expect(c).toBeGreaterThanOrEqual(0.999);
    });
  });

  it('NPZ for Accept application/x-npz and application/octet-stream: count, input_type <U5, emb_i float32 (n_vectors, dim), same numbers as JSON', async () => {
    const inputs = [ref.texts[0]!.text, ref.texts[2]!.text];
    const json = (await post({ input_type: 'text', inputs })).json.embeddings as number[][][];
    for (const accept of ['application/x-npz', 'application/octet-stream', 'application/json;q=0.5, application/x-npz']) {
      const res = await fetch(`${server.url}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ input_type: 'text', inputs }) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-npz');
      const npz = readNpz(new Uint8Array(await res.arrayBuffer()));
      expect(Object.keys(npz).sort()).toEqual(['count', 'emb_0', 'emb_1', 'input_type']);
      expect(npz.count).toMatchObject({ descr: '<i8', shape: [] });
      expect(Buffer.from(npz.count!.data).readBigInt64LE()).toBe(2n);
      expect(npz.input_type).toMatchObject({ descr: '<U5', shape: [] });
      expect(decodeUtf32(npz.input_type!.data)).toBe('text');
      inputs.forEach((_, i) => {
        const e = npz[`emb_${i}`]!;
        expect(e.descr).toBe('<f4');
        expect(e.shape).toEqual([json[i]!.length, json[i]![0]!.length]);
        const floats = new Float32Array(e.data.slice().buffer);
        expect(Array.from(floats)).toEqual(json[i]!.flat().map(Math.fround));
      });
    }
    const explicitJson = await post({ input_type: 'text', inputs }, { accept: 'application/json' });
    expect(explicitJson.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('OpenAI-shaped bodies ({model, input}) on /embeddings are answered by the OpenAI embeddings handler', async () => {
    const viaColPaliPath = await post({ model: 'all-minilm', input: ['hello world', 'second'] });
    const viaV1 = await postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: ['hello world', 'second'] });
    expect(viaColPaliPath.status).toBe(200);
    expect(viaColPaliPath.json.object).toBe('list');
    expect(viaColPaliPath.json.data).toHaveLength(2);
    expect(viaColPaliPath.json.data[0].embedding).toHaveLength(384);
    expect(viaColPaliPath.json.data).toEqual(viaV1.json.data);
    const unknown = await post({ model: 'no-such-model', input: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('model_not_found');
  });

  describe('bad input', () => {
    const image = base64(ref.images[0]!.file);

    it('input_type missing or unknown, inputs missing, empty or not strings, invalid JSON → 400 with a clear message', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{ inputs: ['x'] }, /input_type/],
        [{ input_type: 'audio', inputs: ['x'] }, /input_type/],
        [{ input_type: 'text' }, /inputs/],
        [{ input_type: 'text', inputs: [] }, /must not be empty/],
        [{ input_type: 'text', inputs: 'just a string' }, /inputs/],
        [{ input_type: 'text', inputs: [1, 2] }, /inputs/],
      ];
      for (const [body, message] of cases) {
        const res = await post(body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.json.error.code).toBe('invalid_request');
        expect(res.json.error.message).toMatch(message);
      }
      const notJson = await fetch(`${server.url}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input_type":' });
      expect(notJson.status).toBe(400);
    });

    it('corrupt or truncated images → 400, SVG → 415, an image URL → 400 url_not_allowed and the URL is never fetched', async () => {
      const corrupt = await post({ input_type: 'image', inputs: [image, 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB'] });
      expect(corrupt.status).toBe(400);
      expect(corrupt.json.error.message).toMatch(/^inputs\[1\]: /);
      const png = base64('scene_480x640.png');
      const truncated = await post({ input_type: 'image', inputs: [png.slice(0, Math.floor(png.length / 2 / 4) * 4)] });
      expect(truncated.status).toBe(400);
      const garbage = await post({ input_type: 'image', inputs: ['not base64 at all!'] });
      expect(garbage.status).toBe(400);
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>').toString('base64');
      const svgRes = await post({ input_type: 'image', inputs: [`data:image/svg+xml;base64,${svg}`] });
      expect(svgRes.status).toBe(415);
      const url = await post({ input_type: 'image', inputs: [`${canary.url}/page.png`] });
      expect(url.status).toBe(400);
      expect(url.json.error.code).toBe('url_not_allowed');
      expect(canary.connections).toBe(0);
    });

    it('more inputs than HEARTH_COLPALI_MAX_INPUTS → 413; a text-embedding model named in a ColPali body → 404', async () => {
      const tooMany = await post({ input_type: 'text', inputs: Array.from({ length: 33 }, (_, i) => `q${i}`) });
      expect(tooMany.status).toBe(413);
      expect(tooMany.json.error.code).toBe('payload_too_large');
      const wrongTask = await post({ input_type: 'text', inputs: ['x'], model: 'all-minilm' });
      expect(wrongTask.status).toBe(404);
      expect(wrongTask.json.error.message).toMatch(/not multivector-embedding/);
    });

    it('the server is still alive and serving', async () => {
      expect(server.alive()).toBe(true);
      const res = await post({ input_type: 'text', inputs: ['still here'] });
      expect(res.status).toBe(200);
    });
  });
});

describe('ColPali contract with keys, NPZ by default and small limits (the Python ColPali client)', () => {
  let server: RunningServer;
  const MAX_BODY = 1_500_000;

  beforeAll(async () => {
    server = await startServer({
      HF_HOME: inject('hfHome'),
      HEARTH_API_KEYS: KEY,
      // The ColPali service's own variable name works too.
      COLPALI_MODEL_NAME: TINY_COLPALI_ID,
      HEARTH_COLPALI_DEFAULT_FORMAT: 'npz',
      HEARTH_COLPALI_MAX_INPUTS: '8',
      HEARTH_MAX_MEDIA_BODY_BYTES: String(MAX_BODY),
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('bearer auth: none or a wrong key → 401; the right key → 200, NPZ with no Accept header', async () => {
    const body = { input_type: 'text', inputs: ['x'] };
    expect((await postJson(`${server.url}/embeddings`, body)).status).toBe(401);
    expect((await postJson(`${server.url}/embeddings`, body, { authorization: 'Bearer wrong' })).status).toBe(401);
    const res = await fetch(`${server.url}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify(body) });
    expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-npz');
    const npz = readNpz(new Uint8Array(await res.arrayBuffer()));
    expect(npz.emb_0!.shape).toEqual([ref.texts[2]!.input_ids.length, ref.texts[2]!.embeddings[0]!.length]);
  });

  it('a body over HEARTH_MAX_MEDIA_BODY_BYTES → 413 before any decoding', async () => {
    const big = ref.images.map((e) => base64(e.file));
    const res = await postJson(`${server.url}/embeddings`, { input_type: 'image', inputs: big }, { authorization: `Bearer ${KEY}` });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('payload_too_large');
  });

  it('the Python client reads the NPZ with numpy.load and halves its batch on 413 until everything is embedded', async () => {
    const { stdout } = await promisify(execFile)(PYTHON, [join(ROOT, 'test/python/colpali_clients.py'), server.url, KEY, COLPALI_REFERENCE, IMAGES], { timeout: 120_000 });
    const out = JSON.parse(stdout) as Record<string, any>;
    console.log(`ColPali client: text batches ${JSON.stringify(out.text.batch_sizes)} (${out.text.responses_413} × 413), image batches ${JSON.stringify(out.image.batch_sizes)} (${out.image.responses_413} × 413)`);
    for (const kind of ['text', 'image'] as const) {
      expect(out[kind].count).toBe(kind === 'text' ? ref.texts.length : ref.images.length);
      expect(out[kind].formats).toEqual(['npz']);
      expect(out[kind].dtype).toBe('float32');
      expect(out[kind].min_cosine).toBeGreaterThanOrEqual(0.999);
      // It started at 16 and had to come down: the input cap (8) for queries, the body limit too for images.
      expect(out[kind].responses_413).toBeGreaterThan(0);
      expect(out[kind].batch_sizes[0]).toBe(Math.min(16, out[kind].count));
      expect(Math.max(...out[kind].batch_sizes.slice(out[kind].responses_413))).toBeLessThanOrEqual(8);
    }
    expect(out.image.responses_413).toBeGreaterThan(1);
    expect(out.npz).toMatchObject({ content_type: 'application/x-npz', files: ['count', 'emb_0', 'emb_1', 'input_type'], count: 2, input_type: 'text' });
    expect(out.npz.arrays).toMatchObject({
      count: { dtype: '<i8', shape: [] },
      input_type: { dtype: '<U5', shape: [] },
      emb_0: { dtype: '<f4', shape: [ref.texts[2]!.input_ids.length, ref.texts[2]!.embeddings[0]!.length] },
    });
  });

  it('the server is still alive', () => {
    expect(server.alive()).toBe(true);
  });
});

function decodeUtf32(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let s = '';
  for (let i = 0; i + 4 <= bytes.byteLength; i += 4) {
    const cp = view.getUint32(i, true);
    if (cp === 0) break;
    s += String.fromCodePoint(cp);
  }
  return s;
}
