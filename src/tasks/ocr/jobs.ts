import type { ImageLimits } from '../../media/image/index.js';
import type { RuntimeOptions } from '../../runtime/onnx.js';
import type { OcrModelFiles } from './onnx-models.js';
import type { OcrBlock, OcrTimings } from './pipeline.js';

/** What the OCR worker process is started with. */
export interface OcrWorkerInit {
  files: OcrModelFiles;
  runtime: RuntimeOptions;
  maxSideLen: number;
}

/** One unit of work for the worker: an image, a PDF's page count, or one PDF page. */
export type OcrJob =
  | { kind: 'image'; bytes: Uint8Array; limits: ImageLimits }
  | { kind: 'pdf-info'; bytes: Uint8Array }
  | { kind: 'pdf-page'; bytes: Uint8Array; page: number; dpi: number; maxPixels: number };

export interface OcrPageResult {
  width: number;
  height: number;
  dpi?: number;
  blocks: OcrBlock[];
  timings: OcrTimings;
  /** PNG of the page as read, when asked for (PDF pages; images are returned as sent). */
  png?: Uint8Array;
}

export type OcrJobResult = OcrPageResult | { pages: number };
