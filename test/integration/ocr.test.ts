import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mistral } from '@mistralai/mistralai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LoopbackServer, startLoopbackServer } from '../helpers/loopback.js';
import { FIXTURES } from '../helpers/paths.js';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';

/**
 * POST /v1/ocr against RapidOCR 1.4.4 on the same rendered images (test/python/ocr_reference.py):
 * character error rate no worse, boxes within a few pixels; every bad input a JSON answer; the
 * worker process's crash, timeout and circuit handling seen from the HTTP side.
 */
const OCR = join(FIXTURES, 'ocr');
type Box = Array<[number, number]>;
interface RefImage {
  name: string;
  file: string;
  truth: string[];
  rapid: { texts: string[]; scores: number[]; boxes: Box[]; cer: number };
}
const ref = JSON.parse(readFileSync(join(OCR, 'reference.json'), 'utf8')) as { images: RefImage[] };
const bytes = (rel: string) => readFileSync(join(OCR, rel));
const dataUrl = (rel: string, mime = 'image/png') => `data:${mime};base64,${bytes(rel).toString('base64')}`;

function levenshtein(a: readonly string[], b: readonly string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}
const squash = (s: string) => s.replace(/\s+/g, '');
/** Same definition as ocr_reference.py: whitespace removed, lines in reading order. */
function cer(truth: string[], texts: string[]): number {
  const t = [...squash(truth.join(''))];
  const h = [...squash(texts.join(''))];
  if (t.length === 0) return h.length === 0 ? 0 : 1;
  return levenshtein(h, t) / t.length;
}

/** A dense page (fixture images tiled on 2000×2000) that keeps the worker busy for a while. */
async function bigPage(): Promise<Buffer> {
  const tiles = ['sizes', 'columns', 'receipt', 'inverse', 'mixed-zh'].map((n) => bytes(`images/${n}.png`));
  const composite = [];
  let y = 0;
  for (const [i, input] of tiles.entries()) {
    const meta = await sharp(input).metadata();
    composite.push({ input, left: i % 2 ? 1000 : 0, top: y });
    if (i % 2) y += 460;
    void meta;
  }
  return sharp({ create: { width: 2000, height: 2000, channels: 3, background: 'white' } }).composite(composite).png().toBuffer();
}

async function status(server: RunningServer): Promise<any> {
  const res = await fetch(`${server.url}/api/status`);
  return ((await res.json()) as { ocr_workers: any[] }).ocr_workers[0];
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}

const ocr = (server: RunningServer, body: unknown) => postJson(`${server.url}/v1/ocr`, body);
const image = (url: string) => ({ document: { type: 'image_url', image_url: url } });

describe('OCR (/v1/ocr, PP-OCRv4 in a worker process)', () => {
  let server: RunningServer;
  let canary: LoopbackServer;
  let origin: LoopbackServer;

  beforeAll(async () => {
    canary = await startLoopbackServer('127.0.0.1');
    origin = await startLoopbackServer('127.0.0.3', (req, res) => {
      res.setHeader('content-type', 'application/pdf');
      res.end(bytes('docs/two-pages.pdf'));
    });
    server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_EGRESS_ALLOWLIST: '127.0.0.3', HEARTH_EGRESS_PORTS: String(origin.port), HEARTH_OCR_IDLE_TIMEOUT: '3s' });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await canary?.close();
    await origin?.close();
  });

  it('reads every test image at least as well as RapidOCR, with boxes within 3 px', async () => {
    const rows: string[] = [];
    let hearthErrors = 0;
    let rapidErrors = 0;
    let maxDelta = 0;
    let deltas = 0;
    let corners = 0;
    for (const img of ref.images) {
      const res = await ocr(server, image(dataUrl(img.file)));
      expect(res.status, img.name).toBe(200);
      const blocks = res.json.pages[0].blocks as Array<{ text: string; confidence: number; box: Box }>;
      const texts = blocks.map((b) => b.text);
      const hearthCer = cer(img.truth, texts);
      const len = [...squash(img.truth.join(''))].length;
      hearthErrors += hearthCer * len;
      rapidErrors += img.rapid.cer * len;
      expect(hearthCer, `${img.name}: ${JSON.stringify(texts)} vs RapidOCR ${JSON.stringify(img.rapid.texts)}`).toBeLessThanOrEqual(img.rapid.cer + 1e-9);
      // Same detections: match each RapidOCR box to Hearth's block with the same text and compare corners.
      expect(blocks.length, img.name).toBe(img.rapid.boxes.length);
      img.rapid.boxes.forEach((rbox, i) => {
        const j = texts.indexOf(img.rapid.texts[i]!) >= 0 ? texts.indexOf(img.rapid.texts[i]!) : i;
        blocks[j]!.box.forEach(([x, y], k) => {
          const d = Math.max(Math.abs(x - rbox[k]![0]), Math.abs(y - rbox[k]![1]));
          maxDelta = Math.max(maxDelta, d);
          deltas += d;
          corners++;
        });
      });
      if (img.name === 'columns') {
        // Blocks come row by row (RapidOCR's order); text and markdown read the left column first.
        const text = squash(res.json.pages[0].text as string);
        expect(text.indexOf('thirdoneclosesit')).toBeLessThan(text.indexOf('Rightcolumn'));
      }
      rows.push(`${img.name}: Hearth CER ${hearthCer.toFixed(4)} / RapidOCR ${img.rapid.cer.toFixed(4)}`);
    }
    const total = ref.images.reduce((n, i) => n + [...squash(i.truth.join(''))].length, 0);
    console.log(`OCR accuracy\n  ${rows.join('\n  ')}\n  overall CER Hearth ${(hearthErrors / total).toFixed(4)} vs RapidOCR ${(rapidErrors / total).toFixed(4)}; box corners: max Δ ${maxDelta} px, mean Δ ${(deltas / Math.max(corners, 1)).toFixed(3)} px over ${corners}`);
    expect(hearthErrors).toBeLessThanOrEqual(rapidErrors + 1e-9);
    expect(maxDelta).toBeLessThanOrEqual(3);
  }, 180_000);

  it('answers in Mistral’s shape, from a multipart upload too', async () => {
    const form = new FormData();
    form.append('file', new Blob([bytes('images/receipt.png')], { type: 'image/png' }), 'receipt.png');
    const res = await fetch(`${server.url}/v1/ocr`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.model).toBe('paddleocr/PP-OCRv4-ch');
    expect(body.usage_info).toEqual({ pages_processed: 1, doc_size_bytes: bytes('images/receipt.png').length });
    const page = body.pages[0];
    expect(page.index).toBe(0);
    expect(page.dimensions).toEqual({ width: 420, height: 396, dpi: 72 });
    expect(page.confidence_scores.minimum_page_confidence_score).toBeGreaterThan(0.5);
    expect(page.images).toEqual([]);
    // One visual line per receipt row: item and price on the same line, in reading order.
    expect(page.text.split('\n')).toEqual(['CORNER CAFE', 'Espresso 2.80', 'Croissant 3.10', 'Orange juice 4.25', 'TOTAL 10.15', 'Card 4411']);
    expect(page.markdown).toContain('TOTAL 10.15');
    for (const b of page.blocks) {
      expect(b.confidence).toBeGreaterThan(0.5);
      expect(b.box).toHaveLength(4);
      // Mistral's names for the same block: its axis-aligned bounds.
      expect(b).toMatchObject({ type: 'text', content: b.text, confidence_scores: { average_content_confidence_score: b.confidence } });
      expect(b.top_left_x).toBe(Math.floor(Math.min(...b.box.map((p: number[]) => p[0]))));
      expect(b.bottom_right_y).toBe(Math.ceil(Math.max(...b.box.map((p: number[]) => p[1]))));
    }
  }, 60_000);

  it('Mistral’s own SDK (@mistralai/mistralai) reads images and PDF pages unmodified', async () => {
    const client = new Mistral({ apiKey: 'unused', serverURL: server.url });
    const img = await client.ocr.process({ model: 'mistral-ocr-latest', document: { type: 'image_url', imageUrl: dataUrl('images/receipt.png') } });
    expect(img.model).toBe('paddleocr/PP-OCRv4-ch');
    expect(img.usageInfo.pagesProcessed).toBe(1);
    expect(img.pages[0]!.markdown).toContain('TOTAL 10.15');
    expect(img.pages[0]!.dimensions).toEqual({ dpi: 72, width: 420, height: 396 });
    const block = img.pages[0]!.blocks![0]!;
    expect(block.type).toBe('text');
    expect(block.type === 'text' && block.content).toBe('CORNER CAFE');
    const pdf = await client.ocr.process({ model: 'mistral-ocr-latest', document: { type: 'document_url', documentUrl: dataUrl('docs/two-pages.pdf', 'application/pdf') }, pages: [1] });
    expect(pdf.pages.map((p) => p.index)).toEqual([1]);
    expect(pdf.pages[0]!.dimensions?.dpi).toBe(200);
    expect(pdf.pages[0]!.markdown).toContain('Croissant');
  }, 60_000);

  it('pages as a string of indices and ranges; include_blocks false leaves blocks out', async () => {
    const res = await ocr(server, { document: { type: 'document_url', document_url: dataUrl('docs/two-pages.pdf', 'application/pdf') }, pages: '0-1', include_blocks: false });
    expect(res.status).toBe(200);
    expect(res.json.pages.map((p: { index: number }) => p.index)).toEqual([0, 1]);
    expect(res.json.pages[0].blocks).toBeUndefined();
    expect((await ocr(server, { ...image(dataUrl('images/blank.png')), pages: 'one' })).status).toBe(400);
  }, 60_000);

  it('reads PDFs page by page, honouring pages, by data URL, upload and allowlisted URL', async () => {
    const doc = await ocr(server, { document: { type: 'document_url', document_url: dataUrl('docs/two-pages.pdf', 'application/pdf') }, pages: [1] });
    expect(doc.status).toBe(200);
    expect(doc.json.pages).toHaveLength(1);
    expect(doc.json.pages[0].index).toBe(1);
    expect(doc.json.pages[0].dimensions.dpi).toBe(200);
    const receipt = ref.images.find((i) => i.name === 'receipt')!;
    expect(cer(receipt.truth, doc.json.pages[0].blocks.map((b: { text: string }) => b.text))).toBeLessThan(0.05);
    expect(doc.json.usage_info.pages_processed).toBe(1);

    const form = new FormData();
    form.append('file', new Blob([bytes('docs/two-pages.pdf')]), 'two.pdf');
    const up = await fetch(`${server.url}/v1/ocr`, { method: 'POST', body: form });
    expect(up.status).toBe(200);
    const all = (await up.json()) as any;
    expect(all.pages.map((p: { index: number }) => p.index)).toEqual([0, 1]);
    expect(all.pages[0].text).toContain('Invoice');

    const fetched = await ocr(server, { document: { type: 'document_url', document_url: `${origin.url}/doc.pdf` }, pages: [0] });
    expect(fetched.status).toBe(200);
    expect(fetched.json.pages[0].text).toContain('2026');
  }, 120_000);

  it('a blank page and a 1×1 image are 200 with nothing read', async () => {
    const blank = await ocr(server, image(dataUrl('images/blank.png')));
    expect(blank.status).toBe(200);
    expect(blank.json.pages[0]).toMatchObject({ text: '', markdown: '', blocks: [] });
    const tiny = await sharp({ create: { width: 1, height: 1, channels: 3, background: 'black' } }).png().toBuffer();
    const one = await ocr(server, image(`data:image/png;base64,${tiny.toString('base64')}`));
    expect(one.status).toBe(200);
    expect(one.json.pages[0]).toMatchObject({ blocks: [], dimensions: { width: 1, height: 1 } });
  }, 60_000);

  const cases: Array<[string, () => unknown, number, RegExp]> = [
    ['corrupt PNG', () => image(`data:image/png;base64,${bytes('images/receipt.png').subarray(0, 400).toString('base64')}`), 400, /decoded|corrupt/],
    ['image bomb (40000×40000 header)', () => image(dataUrl('docs/bomb.png')), 413, /pixels/],
    ['encrypted PDF', () => ({ document: { type: 'document_url', document_url: dataUrl('docs/encrypted.pdf', 'application/pdf') } }), 400, /encrypted/],
    ['PDF with no pages', () => ({ document: { type: 'document_url', document_url: dataUrl('docs/zero-pages.pdf', 'application/pdf') } }), 400, /no pages|could not be read/],
    ['PDF page out of range', () => ({ document: { type: 'document_url', document_url: dataUrl('docs/two-pages.pdf', 'application/pdf') }, pages: [2] }), 400, /out of range/],
    ['image page other than 0', () => ({ ...image(dataUrl('images/blank.png')), pages: [1] }), 400, /out of range/],
    ['unsupported type', () => image(`data:application/octet-stream;base64,${Buffer.from('just some text, not an image').toString('base64')}`), 415, /unrecognised type/],
    ['text data URL', () => image('data:text/plain;base64,aGVsbG8='), 415, /not an image/],
    ['unknown model', () => ({ model: 'no-such-ocr', ...image(dataUrl('images/blank.png')) }), 404, /not an OCR model/],
    ['embedding model as OCR model', () => ({ model: 'all-minilm', ...image(dataUrl('images/blank.png')) }), 404, /not an OCR model/],
    ['missing document', () => ({}), 400, /document/],
  ];
  for (const [name, body, statusCode, message] of cases) {
    it(`${name} → ${statusCode}, and the next request succeeds`, async () => {
      const res = await ocr(server, body());
      expect(res.status).toBe(statusCode);
      expect(res.json.error.message).toMatch(message);
      expect(server.alive()).toBe(true);
      const next = await ocr(server, image(dataUrl('images/receipt.png')));
      expect(next.status).toBe(200);
    }, 60_000);
  }

  it('a URL to a non-allowlisted loopback canary → 400 url_not_allowed; the canary sees no connection', async () => {
    const res = await ocr(server, { document: { type: 'document_url', document_url: `${canary.url}/doc.pdf` } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('url_not_allowed');
    expect(canary.connections).toBe(0);
  });

  it('the embedded model is listed as on disk, and pulling it is refused (nothing to download)', async () => {
    const list = (await (await fetch(`${server.url}/api/models?task=ocr`)).json()) as { models: Array<{ id: string; downloaded: boolean; task: string }> };
    expect(list.models).toEqual([expect.objectContaining({ id: 'paddleocr/PP-OCRv4-ch', task: 'ocr', downloaded: true })]);
    const pull = await postJson(`${server.url}/api/models/pull`, { model: 'paddleocr', stream: false });
    expect(pull.status).toBe(400);
    expect(pull.json.error.message).toMatch(/npm package @gutenye\/ocr-models: it needs no pull/);
  });

  it('a multipart request without a file → 400', async () => {
    const form = new FormData();
    form.append('model', 'paddleocr/PP-OCRv4-ch');
    const res = await fetch(`${server.url}/v1/ocr`, { method: 'POST', body: form });
    expect(res.status).toBe(400);
  });

  it('worker killed mid-request → that request 500 within 1 s; the next one succeeds in a new worker', async () => {
    const page = await bigPage();
    await ocr(server, image(dataUrl('images/blank.png')));
    const before = await status(server);
    const pending = ocr(server, image(`data:image/png;base64,${page.toString('base64')}`));
    await waitFor(async () => (await status(server)).in_flight === 1);
    const pid = (await status(server)).pid as number;
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    const res = await pending;
    expect(Date.now() - killedAt).toBeLessThan(1_000);
    expect(res.status).toBe(500);
    expect(res.json.error.code).toBe('inference_failed');
    const next = await ocr(server, image(dataUrl('images/receipt.png')));
    expect(next.status).toBe(200);
    const after = await status(server);
    expect(after.pid).not.toBe(pid);
    expect(after.restarts).toBeGreaterThan(before.restarts);
    expect(after.crashes).toBe(before.crashes + 1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/worker_restarts_total\{model="paddleocr\/PP-OCRv4-ch"\} [1-9]/);
  }, 120_000);

  it('/api/status shows the worker; it exits after the idle timeout and its process is gone', async () => {
    await ocr(server, image(dataUrl('images/blank.png')));
    const warm = await status(server);
    expect(warm).toMatchObject({ model: 'paddleocr/PP-OCRv4-ch', warm: true, state: 'idle', idle_timeout_ms: 3000 });
    expect(warm.rss_bytes).toBeGreaterThan(0);
    await waitFor(async () => (await status(server)).state === 'stopped', 10_000);
    expect(() => process.kill(warm.pid, 0)).toThrow();
    // The worker (libvips, pdf.js, onnxruntime) printed nothing into the server's JSON log stream.
    expect(server.stray).toEqual([]);
  }, 30_000);
});

describe('OCR worker concurrency', () => {
  it('with two jobs in flight per worker, interleaved pages of several PDFs all read correctly', async () => {
    const server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_OCR_CONCURRENCY: '2' });
    try {
      // Three distinct documents (a trailing comment changes the bytes, not the content): more than the worker keeps open.
      const docs = ['a', 'b', 'c'].map((tag) => `data:application/pdf;base64,${Buffer.concat([bytes('docs/two-pages.pdf'), Buffer.from(`\n%${tag}\n`)]).toString('base64')}`);
      const results = await Promise.all([...docs, ...docs].map((url, i) => ocr(server, { document: { type: 'document_url', document_url: url }, pages: [i % 2] })));
      const receipt = ref.images.find((r) => r.name === 'receipt')!;
      const sizes = ref.images.find((r) => r.name === 'sizes')!;
      results.forEach((res, i) => {
        expect(res.status).toBe(200);
        const truth = i % 2 ? receipt.truth : sizes.truth;
        expect(cer(truth, res.json.pages[0].blocks.map((b: { text: string }) => b.text))).toBeLessThan(0.05);
      });
    } finally {
      await server.stop();
    }
  }, 180_000);
});

describe('OCR worker failures', () => {
  it('a hung job fails at the job timeout (500) and the server stays up', async () => {
    const server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_OCR_JOB_TIMEOUT: '200ms' });
    try {
      const page = await bigPage();
      const t = Date.now();
      const res = await ocr(server, image(`data:image/png;base64,${page.toString('base64')}`));
      expect(res.status).toBe(500);
      expect(res.json.error.message).toMatch(/longer than 200 ms/);
      const s = await status(server);
      // Not counting the model load, which happens before the job is handed over.
      expect(Date.now() - t).toBeLessThan((s.last_start_ms ?? 0) + 1_500);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      expect(server.alive()).toBe(true);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('three crashes within a minute open the circuit: 503 + Retry-After until a probe succeeds', async () => {
    const server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_OCR_CIRCUIT_OPEN: '1500ms' });
    try {
      const page = `data:image/png;base64,${(await bigPage()).toString('base64')}`;
      for (let i = 0; i < 3; i++) {
        const pending = ocr(server, image(page));
        await waitFor(async () => (await status(server))?.in_flight === 1, 30_000);
        process.kill((await status(server)).pid, 'SIGKILL');
        expect((await pending).status).toBe(500);
      }
      const refused = await ocr(server, image(dataUrl('images/blank.png')));
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await status(server)).circuit).toBe('open');
      await new Promise((r) => setTimeout(r, 1_600));
      const probe = await ocr(server, image(dataUrl('images/receipt.png')));
      expect(probe.status).toBe(200);
      expect(await status(server)).toMatchObject({ circuit: 'closed', recent_crashes: 0 });
    } finally {
      await server.stop();
    }
  }, 180_000);
});
