/**
 * OCR benchmark: Hearth's /v1/ocr over HTTP vs RapidOCR 1.4.4 (Python, onnxruntime, same
 * PP-OCRv4 graphs, same intra-op thread count, timing itself in its own process) on the
 * rendered test pages of .cache/fixtures/ocr. The two are interleaved page by page, so both see
 * the same machine load. Prints p50/p99 per page and the ratio; the worker's cold start (spawn +
 * model load) and the memory it gives back when it exits idle.
 *
 *   npm run build && node dist/bench/ocr.js [--threads 2] [--iterations 4] [--pages columns,mixed-zh,receipt,sizes]
 *
 * Bounded: a few iterations over four pages per side (under a minute on 2 cores).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/config.js';
import { fmt, httpCall, median, percentile, rssBytes, startBenchServer } from './lib.js';

const { values } = parseArgs({
  options: { threads: { type: 'string', default: '2' }, iterations: { type: 'string', default: '4' }, pages: { type: 'string', default: 'columns,mixed-zh,receipt,sizes' } },
});
const threads = Number(values.threads);
const iterations = Number(values.iterations);
const IMAGES = join(packageRoot, '.cache/fixtures/ocr/images');
const PYTHON = join(packageRoot, '.cache/venv/bin/python');
const pages = await Promise.all(
  values.pages!.split(',').map(async (name) => {
    const file = join(IMAGES, `${name}.png`);
    return { name, file, body: JSON.stringify({ document: { type: 'image_url', image_url: `data:image/png;base64,${(await readFile(file)).toString('base64')}` } }) };
  }),
);

/** RapidOCR in a long-lived Python process: one path in, its own timing (ms) out. */
async function startRapid() {
  const proc = spawn(PYTHON, [join(packageRoot, 'test/python/ocr_reference.py'), '--serve', String(threads)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error('RapidOCR process ended');
    return r.value as string;
  };
  if ((await next()) !== 'ready') throw new Error('RapidOCR did not start');
  return {
    run: async (file: string) => {
      proc.stdin!.write(`${file}\n`);
      return Number(await next());
    },
    stop: () => proc.kill(),
  };
}

const server = await startBenchServer(join(packageRoot, 'dist/src/main.js'), {
  HEARTH_THREADS: String(threads),
  HEARTH_INFERENCE_NICE: '0',
  HEARTH_OCR_IDLE_TIMEOUT: '2s',
  HEARTH_KEYS_FILE: join(packageRoot, '.cache/no-such-keys-file.json'),
  HEARTH_LOG_LEVEL: 'warn',
});
const rapid = await startRapid();
const workerStatus = async () => (JSON.parse((await httpCall(`${server.url}/api/status`, 'GET')).body) as { ocr_workers: Array<{ pid: number | null; state: string; last_start_ms?: number }> }).ocr_workers[0];
const ocr = async (body: string) => {
  const t = performance.now();
  const res = await httpCall(`${server.url}/v1/ocr`, 'POST', body);
  if (res.status !== 200) throw new Error(`/v1/ocr answered ${res.status}: ${res.body.slice(0, 200)}`);
  return performance.now() - t;
};

try {
  // Cold start: the first request spawns the worker and loads the three graphs.
  const coldMs = await ocr(pages[0]!.body);
  const cold = await workerStatus();
  for (const p of pages) {
    await ocr(p.body); // warm-up, both sides
    await rapid.run(p.file);
  }
  const times: Record<string, { hearth: number[]; rapid: number[] }> = {};
  for (let i = 0; i < iterations; i++) {
    for (const p of pages) {
      const t = (times[p.name] ??= { hearth: [], rapid: [] });
      t.hearth.push(await ocr(p.body));
      t.rapid.push(await rapid.run(p.file));
    }
  }
  rapid.stop();
  const warm = await workerStatus();
  const workerRss = warm?.pid ? await rssBytes(warm.pid) : NaN;
  const serverRss = await rssBytes(server.proc.pid!);
  // Idle exit: the worker process ends and its memory with it.
  await new Promise((r) => setTimeout(r, 2_600));
  const idle = await workerStatus();
  const gone = warm?.pid ? await rssBytes(warm.pid).then(() => false, () => true) : false;
  const serverRssAfter = await rssBytes(server.proc.pid!);

  console.log(`OCR benchmark: ${iterations} runs per page, ${threads} intra-op threads each, sequential, Hearth and RapidOCR interleaved`);
  console.log('page        Hearth p50   p99 | RapidOCR p50   p99 | ratio p50');
  const ratios: number[] = [];
  const all = { hearth: [] as number[], rapid: [] as number[] };
  for (const p of pages) {
    const h = [...times[p.name]!.hearth].sort((a, b) => a - b);
    const r = [...times[p.name]!.rapid].sort((a, b) => a - b);
    all.hearth.push(...h);
    all.rapid.push(...r);
    ratios.push(median(h) / median(r));
    console.log(`${p.name.padEnd(11)} ${fmt(median(h)).padStart(9)} ${fmt(percentile(h, 99)).padStart(5)} | ${fmt(median(r)).padStart(11)} ${fmt(percentile(r, 99)).padStart(5)} | ${fmt(ratios.at(-1)!, 2).padStart(6)}×`);
  }
  all.hearth.sort((a, b) => a - b);
  all.rapid.sort((a, b) => a - b);
  console.log(`all pages   ${fmt(median(all.hearth)).padStart(9)} ${fmt(percentile(all.hearth, 99)).padStart(5)} | ${fmt(median(all.rapid)).padStart(11)} ${fmt(percentile(all.rapid, 99)).padStart(5)} | ${fmt(median(all.hearth) / median(all.rapid), 2).padStart(6)}× (median of per-page ratios ${fmt(median(ratios), 2)}×)`);
  console.log(`cold start: first request ${fmt(coldMs)} ms, of which worker spawn + model load ${cold?.last_start_ms ?? 'n/a'} ms`);
  console.log(`memory: worker RSS ${fmt(workerRss / 2 ** 20)} MiB warm, server RSS ${fmt(serverRss / 2 ** 20)} MiB; after the 2 s idle exit: worker ${idle?.state}, process gone: ${gone}, server RSS ${fmt(serverRssAfter / 2 ** 20)} MiB`);
} finally {
  rapid.stop();
  await server.stop();
}
