import { z } from '@hono/zod-openapi';

const ImageUrlChunk = z.object({
  type: z.literal('image_url'),
  image_url: z.union([z.string(), z.object({ url: z.string() })]).openapi({ description: 'data URL, bare base64, or an http(s) URL (fetched through the egress policy)' }),
});
const DocumentUrlChunk = z.object({
  type: z.literal('document_url'),
  document_url: z.string().openapi({ description: 'a PDF or an image: http(s) URL, data URL (data:application/pdf;base64,…) or bare base64' }),
  document_name: z.string().optional(),
});

/** Mistral's OCR request (POST /v1/ocr); unknown fields (id, image_limit, …) are ignored. */
export const OcrRequest = z
  .object({
    model: z.string().nullish().openapi({ description: 'an OCR model id or alias (mistral-ocr-latest is one); the manifest default (paddleocr/PP-OCRv4-ch) when absent' }),
    document: z.discriminatedUnion('type', [ImageUrlChunk, DocumentUrlChunk]),
    pages: z
      .union([z.array(z.number().int().min(0)), z.string()])
      .nullish()
      .openapi({ description: '0-based page indices to read (PDFs), as a list or a string such as "0,2-4"; all pages when absent' }),
    include_image_base64: z.boolean().nullish().openapi({ description: 'accepted for compatibility; figures are not extracted, so `images` is always empty' }),
    include_blocks: z.boolean().optional().openapi({ description: 'false leaves `blocks` out (default true)' }),
  })
  .openapi('OcrRequest');

export const OcrForm = z
  .object({
    file: z.any().openapi({ type: 'string', format: 'binary', description: 'the image or PDF' }),
    model: z.string().optional(),
    pages: z.string().optional().openapi({ description: 'JSON array, or 0-based page indices and ranges such as "0,2-4"' }),
  })
  .openapi('OcrForm');

const Point = z.tuple([z.number(), z.number()]);

export const OcrResponse = z
  .object({
    model: z.string(),
    pages: z.array(
      z.object({
        index: z.number().int(),
        markdown: z.string().openapi({ description: 'the page in reading order: one line per visual line, a blank line between paragraphs' }),
        text: z.string(),
        blocks: z
          .array(
            z.object({
              type: z.literal('text'),
              text: z.string(),
              confidence: z.number().openapi({ description: 'mean probability of the recognised characters' }),
              box: z.array(Point).length(4).openapi({ description: 'top-left, top-right, bottom-right, bottom-left, in page pixels' }),
              content: z.string().openapi({ description: 'the same as text (Mistral’s name)' }),
              top_left_x: z.number().int(),
              top_left_y: z.number().int(),
              bottom_right_x: z.number().int(),
              bottom_right_y: z.number().int(),
              confidence_scores: z.object({ average_content_confidence_score: z.number() }),
            }),
          )
          .optional(),
        images: z.array(z.unknown()),
        dimensions: z.object({ width: z.number().int(), height: z.number().int(), dpi: z.number().int().openapi({ description: 'rendering resolution of a PDF page; 72 for images' }) }),
        confidence_scores: z.object({ average_page_confidence_score: z.number(), minimum_page_confidence_score: z.number() }).nullable(),
      }),
    ),
    usage_info: z.object({ pages_processed: z.number().int(), doc_size_bytes: z.number().int() }),
  })
  .openapi('OcrResponse');
