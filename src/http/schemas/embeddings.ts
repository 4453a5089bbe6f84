import { z } from '@hono/zod-openapi';

const tokenIds = z.array(z.number().int()).openapi({ description: 'tiktoken ids (cl100k_base; o200k_base for models that use it)' });

export const EmbeddingsRequest = z
  .object({
    model: z.string({ error: "you must provide a 'model' (a model id or alias, e.g. text-embedding-3-small)" }).min(1).openapi({ example: 'text-embedding-3-small' }),
    input: z
      .union([z.string(), z.array(z.string()), tokenIds, z.array(tokenIds)], {
        error: "'input' must be a string, an array of strings, an array of token ids or an array of token-id arrays",
      })
      .openapi({ example: ['The food was delicious and the waiter was kind.'] }),
    encoding_format: z.enum(['float', 'base64'], { error: "'encoding_format' must be 'float' or 'base64'" }).optional(),
    dimensions: z.number().int().positive().optional().openapi({ description: 'Keep the first n dimensions and re-normalise' }),
    user: z.string().optional(),
    modality: z
      .enum(['text', 'image'], { error: "'modality' must be 'text' or 'image'" })
      .optional()
      .openapi({ description: "Hearth/Infinity, image-embedding models: 'image' makes every input an image (data URL, base64 or http(s) URL); default: text, except data:image/… URIs" }),
    truncate: z.boolean().optional().openapi({ description: 'Hearth: default true; false makes over-long input an error' }),
    keep_alive: z.union([z.number(), z.string()]).optional().openapi({ description: 'Hearth/Ollama: how long the model stays loaded after this request' }),
  })
  .openapi('EmbeddingsRequest');

export const EmbeddingsResponse = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        object: z.literal('embedding'),
        index: z.number().int(),
        embedding: z.union([z.array(z.number()), z.string().openapi({ description: 'base64 of little-endian float32' })]),
      }),
    ),
    model: z.string(),
    usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int(), truncated_inputs: z.number().int().optional() }),
  })
  .openapi('EmbeddingsResponse');

export const OpenAIError = z
  .object({
    error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string() }),
    request_id: z.string().optional(),
  })
  .openapi('Error');
