/**
 * Image-embedding benchmark: raw onnxruntime-node on the CLIP vision graph (same model, same threads, in this
 * process) vs Hearth over HTTP with the image sent as a data URL (decode, EXIF, resize and crop included).
 * Batch 1, batch 4 (four images in one request) and 8 concurrent clients; per-image time and ratio to raw.
 *
 *   python test/python/make_bench_clip.py            # random weights at the real ViT-B/32 size (once)
 *   npm run build && nice -n 10 node dist/bench/images.js [--seconds 8] [--model-dir …/bench-clip-b32]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/config.js';
import { clipPixelValues, clipPreprocessConfig, decodeImage } from '../src/media/image/index.js';
import { createSession, ort } from '../src/runtime/onnx.js';
import { type Stats, fmt, httpCall, load, rssBytes, startBenchServer } from './lib.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    'model-dir': { type: 'string', default: join(packageRoot, '.cache/bench/clip-b32') },
    threads: { type: 'string', default: String(availableParallelism()) },
  },
});
const seconds = Number(values.seconds);
const modelDir = resolve(values['model-dir']!);
const threads = Number(values.threads);
const MODEL_ID = 'hearth-bench/clip-b32';
const SIDE = 224;

// Photos as users send them: JPEG/PNG/WebP scenes of a few hundred pixels a side.
const imagesDir = join(packageRoot, '.cache/fixtures/images');
const files = (await readdir(imagesDir)).filter((f) => /^(scene|gradient_1920|noise_640|odd|checker)/.test(f)).sort();
const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' };
const dataUrls = await Promise.all(files.map(async (f) => `data:${MIME[f.split('.').pop()!]};base64,${(await readFile(join(imagesDir, f))).toString('base64')}`));
const limits = { maxBytes: 20 * 1024 * 1024, maxPixels: 50_000_000 };
const preprocess = clipPreprocessConfig(JSON.parse(await readFile(join(modelDir, 'preprocessor_config.json'), 'utf8')));
const pixels = await Promise.all(dataUrls.map(async (u) => clipPixelValues(await decodeImage(u, limits), preprocess)));

async function raw(batch: number, withDecode: boolean): Promise<Stats> {
  const { session } = await createSession(join(modelDir, 'onnx/vision_model.onnx'), { device: 'cpu', intraOpThreads: threads, interOpThreads: 1, inferenceNice: 0 });
  const run = async (i: number) => {
    const picks = Array.from({ length: batch }, (_, k) => (i * batch + k) % pixels.length);
    const rows = withDecode ? await Promise.all(picks.map(async (p) => clipPixelValues(await decodeImage(dataUrls[p]!, limits), preprocess))) : picks.map((p) => pixels[p]!);
    const input = new Float32Array(batch * 3 * SIDE * SIDE);
    rows.forEach((r, b) => input.set(r, b * r.length));
    await session.run({ pixel_values: new ort.Tensor('float32', input, [batch, 3, SIDE, SIDE]) });
  };
  for (let i = 0; i < 3; i++) await run(i);
  const stats = await load(1, seconds * 1000, async (i) => (await run(i), batch));
  await session.release();
  return stats;
}

async function http(url: string, batch: number, clients: number): Promise<Stats> {
  const body = (i: number) => JSON.stringify({ model: MODEL_ID, modality: 'image', input: Array.from({ length: batch }, (_, k) => dataUrls[(i * batch + k) % dataUrls.length]) });
  for (let i = 0; i < 4; i++) await httpCall(`${url}/v1/embeddings`, 'POST', body(i));
  return load(clients, seconds * 1000, async (i) => {
    const res = await httpCall(`${url}/v1/embeddings`, 'POST', body(i));
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
    return batch;
  });
}

console.log(`CLIP ViT-B/32-sized vision graph (random weights), ${files.length} images (${files.join(', ')}), ${threads} intra-op threads, ${seconds}s per measurement\n`);
const rawRuns = { b1: await raw(1, false), b4: await raw(4, false), b8: await raw(8, false), b1decode: await raw(1, true) };

const hfHome = await mkdtemp(join(tmpdir(), 'hearth-bench-images-'));
execFileSync(process.execPath, [join(packageRoot, 'dist/src/cli.js'), 'import', modelDir, '--as', MODEL_ID], { env: { ...process.env, HF_HOME: hfHome }, stdio: 'ignore' });
const server = await startBenchServer(join(packageRoot, 'dist/src/main.js'), { HF_HOME: hfHome, HEARTH_THREADS: String(threads) });
const hearth = { b1: await http(server.url, 1, 1), b4: await http(server.url, 4, 1), c8: await http(server.url, 1, 8) };
const rss = await rssBytes(server.proc.pid!);
await server.stop();
await rm(hfHome, { recursive: true, force: true });

const perImage = (s: Stats) => 1000 / s.perSecond;
const row = (name: string, s: Stats, baseline?: Stats) =>
  `${name.padEnd(40)} ${fmt(s.perSecond).padStart(9)} ${fmt(perImage(s), 2).padStart(11)} ${fmt(s.p50, 2).padStart(9)} ${fmt(s.p99, 2).padStart(9)} ${baseline ? fmt(perImage(s) / perImage(baseline), 2).padStart(9) : ''.padStart(9)}`;
console.log(`${'run'.padEnd(40)} ${'images/s'.padStart(9)} ${'ms/image'.padStart(11)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'× raw'.padStart(9)}`);
console.log(row('raw ort, batch 1 (pixels ready)', rawRuns.b1));
console.log(row('raw ort, batch 4 (pixels ready)', rawRuns.b4));
console.log(row('raw ort, batch 8 (pixels ready)', rawRuns.b8));
console.log(row('raw decode+preprocess+ort, batch 1', rawRuns.b1decode, rawRuns.b1));
console.log(row('hearth http, 1 image/request, 1 client', hearth.b1, rawRuns.b1));
console.log(row('hearth http, 4 images/request, 1 client', hearth.b4, rawRuns.b4));
console.log(row('hearth http, 1 image/request, 8 clients', hearth.c8, rawRuns.b8));
console.log('');
console.log(`per image vs raw ort (target ≤ 1.2×): batch 1 ${fmt(perImage(hearth.b1) / perImage(rawRuns.b1), 2)}×, batch 4 ${fmt(perImage(hearth.b4) / perImage(rawRuns.b4), 2)}×, 8 clients ${fmt(perImage(hearth.c8) / perImage(rawRuns.b8), 2)}× (vs raw batch 8)`);
console.log(`  same, against raw with the same decode+preprocess work: batch 1 ${fmt(perImage(hearth.b1) / perImage(rawRuns.b1decode), 2)}×`);
console.log(`server RSS after the runs: ${fmt(rss / 1048576)} MiB`);
