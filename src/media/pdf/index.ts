import { createIsomorphicCanvasFactory, getDocumentProxy } from 'unpdf';
import { HearthError, invalidRequest } from '../../lib/errors.js';

/** PDF magic: "%PDF-" within the first KiB (some writers put junk before it, and readers accept that). */
export function isPdf(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString('latin1');
  return head.includes('%PDF-');
}

type Doc = Awaited<ReturnType<typeof getDocumentProxy>>;

export interface PdfDocument {
  pages: number;
  doc: Doc;
}

/**
 * Opens a PDF (pdf.js via unpdf, no system binary). Password-protected documents and
 * unreadable ones are 400s; a document with no pages is a 400 too (there is nothing to read).
 */
export async function openPdf(bytes: Uint8Array): Promise<PdfDocument> {
  let doc: Doc;
  try {
    // pdf.js takes ownership of (detaches) the buffer it is given.
    // verbosity 0: pdf.js would print warnings about odd documents to stdout, which carries JSON logs.
    doc = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false, verbosity: 0 } as Parameters<typeof getDocumentProxy>[1]);
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'PasswordException') throw invalidRequest('the PDF is encrypted (password-protected); decrypt it first', 'document');
    throw invalidRequest(`the PDF could not be read: ${(error as Error).message ?? 'corrupt data'}`.slice(0, 300), 'document');
  }
  if (doc.numPages < 1) {
    await closePdf({ pages: 0, doc });
    throw invalidRequest('the PDF has no pages', 'document');
  }
  return { pages: doc.numPages, doc };
}

export interface RenderedPage {
  /** RGBA, 8 bits per channel. */
  data: Uint8Array;
  width: number;
  height: number;
  dpi: number;
}

/**
 * Renders one page (1-based) at `dpi`, lowered when the page would exceed maxPixels, on white.
 */
export async function renderPdfPage(pdf: PdfDocument, pageNumber: number, dpi: number, maxPixels: number): Promise<RenderedPage> {
  if (pageNumber < 1 || pageNumber > pdf.pages) throw invalidRequest(`page ${pageNumber - 1} is out of range: the PDF has ${pdf.pages} pages (0-based)`, 'pages');
  const page = await pdf.doc.getPage(pageNumber);
  const base = page.getViewport({ scale: 1 });
  let scale = dpi / 72;
  const pixels = base.width * scale * base.height * scale;
  if (pixels > maxPixels) scale *= Math.sqrt(maxPixels / pixels);
  const viewport = page.getViewport({ scale });
  const width = Math.max(1, Math.floor(viewport.width));
  const height = Math.max(1, Math.floor(viewport.height));
  if (width * height > maxPixels) throw new HearthError('payload_too_large', `the PDF page is too large to render (${width}×${height})`);
  const Factory = await createIsomorphicCanvasFactory(() => import('@napi-rs/canvas'));
  const factory = new Factory();
  const drawing = factory.create(width, height) as { canvas: unknown; context: { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
  try {
    await page.render({ canvas: drawing.canvas as never, canvasContext: drawing.context as never, viewport }).promise;
    const image = drawing.context.getImageData(0, 0, width, height);
    return { data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength), width, height, dpi: Math.round(scale * 72) };
  } finally {
    factory.destroy(drawing as never);
    page.cleanup();
  }
}

/** Releases pdf.js' resources for the document. */
export async function closePdf(pdf: PdfDocument): Promise<void> {
  await (pdf.doc as unknown as { destroy?(): Promise<void> }).destroy?.();
}
