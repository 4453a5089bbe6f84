/**
 * The OCR worker process (forked by the supervisor in src/runtime/workers): decodes the image or
 * renders the PDF page, runs PP-OCR, answers. Everything that parses untrusted bytes or can blow
 * up (libvips, pdf.js, onnxruntime) runs here, so a crash costs one request, not the server.
 */
import { createHash } from 'node:crypto';
import { HearthError } from '../../lib/errors.js';
import { decodeImage, flattenOnWhite } from '../../media/image/index.js';
import { type PdfDocument, closePdf, openPdf, renderPdfPage } from '../../media/pdf/index.js';
import { serveWorker } from '../../runtime/workers/child.js';
import { rgbToBgr } from './geometry/raster.js';
import type { OcrJob, OcrJobResult, OcrWorkerInit } from './jobs.js';
import { loadOcrModels } from './onnx-models.js';
import { OCR_DEFAULTS, type OcrOptions, runOcr } from './pipeline.js';

let models: Awaited<ReturnType<typeof loadOcrModels>> | undefined;
let options: OcrOptions = OCR_DEFAULTS;
// Documents whose pages are being read (a request's page jobs follow each other), by content hash;
// with several jobs in flight, a document is closed only when no job uses it.
const docs = new Map<string, { pdf: Promise<PdfDocument>; users: number }>();
const KEEP_DOCS = 2;

async function withPdf<T>(bytes: Uint8Array, use: (pdf: PdfDocument) => Promise<T>): Promise<T> {
  const key = createHash('sha256').update(bytes).digest('hex');
  let entry = docs.get(key);
  if (!entry) {
    entry = { pdf: openPdf(bytes), users: 0 };
    docs.set(key, entry);
  }
  docs.delete(key);
  docs.set(key, entry); // most recent last
  entry.users++;
  try {
    return await use(await entry.pdf);
  } catch (error) {
    if (docs.get(key) === entry && entry.users === 1) docs.delete(key);
    throw error;
  } finally {
    entry.users--;
    for (const [k, e] of docs) {
      if (docs.size <= KEEP_DOCS) break;
      if (e.users > 0) continue;
      docs.delete(k);
      void e.pdf.then(closePdf, () => undefined);
    }
  }
}

async function handle(job: OcrJob): Promise<OcrJobResult> {
  if (!models) throw new Error('worker not initialised');
  if (job.kind === 'pdf-info') return withPdf(job.bytes, async (pdf) => ({ pages: pdf.pages }));
  if (job.kind === 'pdf-page') {
    const page = await withPdf(job.bytes, (pdf) => renderPdfPage(pdf, job.page, job.dpi, job.maxPixels));
    const rgb = flattenOnWhite({ data: Buffer.from(page.data.buffer, page.data.byteOffset, page.data.byteLength), width: page.width, height: page.height, channels: 4, format: 'png', orientationApplied: false });
    const { blocks, timings } = await runOcr(rgbToBgr(rgb), models, options);
    return { width: page.width, height: page.height, dpi: page.dpi, blocks, timings };
  }
  const image = flattenOnWhite(await decodeImage({ kind: 'bytes', data: job.bytes }, job.limits));
  const { blocks, timings } = await runOcr(rgbToBgr(image), models, options);
  return { width: image.width, height: image.height, blocks, timings };
}

serveWorker({
  async init(payload) {
    const init = payload as OcrWorkerInit;
    options = { ...OCR_DEFAULTS, maxSideLen: init.maxSideLen };
    models = await loadOcrModels(init.files, init.runtime);
    return { provider: models.provider };
  },
  handle: (payload) => handle(payload as OcrJob),
  describeError: (error) =>
    error instanceof HearthError ? { code: error.code, message: error.message } : { message: error instanceof Error ? error.message : String(error) },
  close: async () => {
    await models?.dispose();
  },
});
