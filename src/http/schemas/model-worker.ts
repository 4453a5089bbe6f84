import { z } from '@hono/zod-openapi';

const model = z.string().min(1).optional().openapi({ description: 'Hearth: a model id or alias; default: the manifest default for the task' });

export const EmbedTextRequest = z.object({ texts: z.array(z.string(), { error: "'texts' must be an array of strings" }).min(1, "'texts' must not be empty"), model }).openapi('EmbedTextRequest');

export const EmbedImageRequest = z
  .object({
    images: z.array(z.string(), { error: "'images' must be an array of data URLs, base64 strings or http(s) URLs" }).min(1, "'images' must not be empty"),
    model,
  })
  .openapi('EmbedImageRequest');

export const EmbedBatchRequest = z
  .object({
    items: z
      .array(z.object({ id: z.string().optional(), type: z.enum(['text', 'image'], { error: "an item's 'type' must be 'text' or 'image'" }), content: z.string() }))
      .min(1, "'items' must not be empty"),
    model,
  })
  .openapi('EmbedBatchRequest');

const Metadata = z.object({ count: z.number().int(), dimension: z.number().int(), duration: z.number().openapi({ description: 'milliseconds' }) });

export const EmbedListResponse = z.object({ embeddings: z.array(z.array(z.number())), metadata: Metadata }).openapi('EmbedListResponse');

export const EmbedBatchResponse = z
  .object({
    results: z.array(z.object({ id: z.string().nullable(), embedding: z.array(z.number()) })),
    metadata: z.object({ total: z.number().int(), text: z.number().int(), image: z.number().int(), duration: z.number() }),
  })
  .openapi('EmbedBatchResponse');
