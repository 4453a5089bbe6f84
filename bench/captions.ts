/**
 * Captioning benchmark: transformers.js' generate called directly in this process (same model, same threads,
 * pixels already preprocessed) vs Hearth over HTTP with the image sent as a data URL (decode, resize, worker hop,
 * batcher and JSON included). Greedy, a fixed number of new tokens, batch 1 and 4 concurrent clients.
 *
 *   npm run build && nice -n 10 node dist/bench/captions.js [--seconds 5] [--model-dir …/tiny-captioner] [--tokens 15]
 *
 * With the default tiny random-weight captioner the model itself costs little, so the ratio shows Hearth's
 * overhead at its most visible; point --model-dir at a real ViT-GPT2 export for absolute figures.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LogLevel, Tensor, VisionEncoderDecoderModel, env } from '@huggingface/transformers';
import { packageRoot } from '../src/config.js';
import { VIT_DEFAULTS, decodeImage, fixedSizePixelValues, fixedSizePreprocessConfig } from '../src/media/image/index.js';
import { type Stats, fmt, httpCall, load, rssBytes, startBenchServer } from './lib.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    'model-dir': { type: 'string', default: join(packageRoot, '.cache/fixtures/models/tiny-captioner') },
    threads: { type: 'string', default: String(availableParallelism()) },
    tokens: { type: 'string', default: '15' },
  },
});
const seconds = Number(values.seconds);
const modelDir = resolve(values['model-dir']!);
const threads = Number(values.threads);
const tokens = Number(values.tokens);
const MODEL_ID = 'hearth-bench/captioner';

const imagesDir = join(packageRoot, '.cache/fixtures/images');
const files = (await readdir(imagesDir)).filter((f) => /^(scene|gradient_1920|noise_640|odd|checker)/.test(f)).sort();
const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' };
const dataUrls = await Promise.all(files.map(async (f) => `data:${MIME[f.split('.').pop()!]};base64,${(await readFile(join(imagesDir, f))).toString('base64')}`));
const limits = { maxBytes: 20 * 1024 * 1024, maxPixels: 50_000_000 };
const preprocess = fixedSizePreprocessConfig(JSON.parse(await readFile(join(modelDir, 'preprocessor_config.json'), 'utf8')), VIT_DEFAULTS);
const pixels = await Promise.all(dataUrls.map(async (u) => fixedSizePixelValues(await decodeImage(u, limits), preprocess)));
const plane = 3 * preprocess.height * preprocess.width;

async function direct(batch: number, withDecode = false): Promise<Stats> {
  Object.assign(env, { allowRemoteModels: false, useFSCache: false, useBrowserCache: false, logLevel: LogLevel.ERROR });
  // The session settings Hearth's caption worker uses.
  const session_options = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
  const model = await VisionEncoderDecoderModel.from_pretrained(modelDir, { local_files_only: true, dtype: 'fp32', device: 'cpu', session_options: session_options as never });
  const run = async (i: number) => {
    const input = new Float32Array(batch * plane);
    for (let k = 0; k < batch; k++) {
      const p = (i * batch + k) % pixels.length;
      input.set(withDecode ? fixedSizePixelValues(await decodeImage(dataUrls[p]!, limits), preprocess) : pixels[p]!, k * plane);
    }
    const pixel_values = new Tensor('float32', input, [batch, 3, preprocess.height, preprocess.width]);
    await model.generate({ pixel_values, max_new_tokens: tokens, do_sample: false, num_beams: 1 } as never);
  };
  for (let i = 0; i < 3; i++) await run(i);
  const stats = await load(1, seconds * 1000, async (i) => (await run(i), batch));
  await model.dispose();
  return stats;
}

async function http(url: string, clients: number): Promise<Stats> {
  const body = (i: number) => JSON.stringify({ model: MODEL_ID, image: dataUrls[i % dataUrls.length], max_tokens: tokens });
  for (let i = 0; i < 4; i++) await httpCall(`${url}/v1/images/captions`, 'POST', body(i));
  return load(clients, seconds * 1000, async (i) => {
    const res = await httpCall(`${url}/v1/images/captions`, 'POST', body(i));
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
    return 1;
  });
}

console.log(`captioner ${modelDir}, ${files.length} images, ${tokens} new tokens (greedy), ${threads} intra-op threads, ${seconds}s per measurement\n`);
const first = { b1: await direct(1), b4: await direct(4), b1decode: await direct(1, true) };

const hfHome = await mkdtemp(join(tmpdir(), 'hearth-bench-captions-'));
execFileSync(process.execPath, [join(packageRoot, 'dist/src/cli.js'), 'import', modelDir, '--as', MODEL_ID], { env: { ...process.env, HF_HOME: hfHome }, stdio: 'ignore' });
const server = await startBenchServer(join(packageRoot, 'dist/src/main.js'), { HF_HOME: hfHome, HEARTH_THREADS: String(threads) });
const hearth = { c1: await http(server.url, 1), c4: await http(server.url, 4) };
const rss = await rssBytes(server.proc.pid!);
await server.stop();
await rm(hfHome, { recursive: true, force: true });
// Direct runs again after the server's, keeping the faster of each: on a shared machine the load drifts.
const again = { b1: await direct(1), b4: await direct(4), b1decode: await direct(1, true) };
const faster = (a: Stats, b: Stats) => (a.perSecond >= b.perSecond ? a : b);
const raw = { b1: faster(first.b1, again.b1), b4: faster(first.b4, again.b4), b1decode: faster(first.b1decode, again.b1decode) };

const perImage = (s: Stats) => 1000 / s.perSecond;
const row = (name: string, s: Stats, baseline?: Stats) =>
  `${name.padEnd(44)} ${fmt(s.perSecond).padStart(9)} ${fmt(perImage(s), 2).padStart(11)} ${fmt(s.p50, 2).padStart(9)} ${fmt(s.p99, 2).padStart(9)} ${baseline ? fmt(perImage(s) / perImage(baseline), 2).padStart(9) : ''.padStart(9)}`;
console.log(`${'run'.padEnd(44)} ${'images/s'.padStart(9)} ${'ms/image'.padStart(11)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'× direct'.padStart(9)}`);
console.log(row('direct generate, batch 1 (pixels ready)', raw.b1));
console.log(row('direct generate, batch 4 (pixels ready)', raw.b4));
console.log(row('direct decode+preprocess+generate, batch 1', raw.b1decode, raw.b1));
console.log(row('hearth http, 1 image/request, 1 client', hearth.c1, raw.b1));
console.log(row('hearth http, 1 image/request, 4 clients', hearth.c4, raw.b4));
console.log('');
console.log(`p50 latency, 1 client: hearth ${fmt(hearth.c1.p50, 2)} ms vs direct ${fmt(raw.b1.p50, 2)} ms (${fmt(hearth.c1.p50 / raw.b1.p50, 2)}×); vs direct with the same decode+preprocess ${fmt(raw.b1decode.p50, 2)} ms (${fmt(hearth.c1.p50 / raw.b1decode.p50, 2)}×)`);
console.log(`per image, 4 clients vs direct batch 4: ${fmt(perImage(hearth.c4) / perImage(raw.b4), 2)}×`);
console.log(`server RSS after the runs: ${fmt(rss / 1048576)} MiB`);
