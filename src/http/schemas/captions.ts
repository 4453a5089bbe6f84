import { z } from '@hono/zod-openapi';

const image = z.string().min(1, 'an image must not be empty').openapi({ description: 'data:image/… URL, bare base64, or an http(s) URL (fetched through the egress guard)' });
const maxTokens = z.number().int().positive().openapi({ description: "New tokens per caption (default: the model's generation_config)" });
const responseFormat = z
  .enum(['openai', 'hf'], { error: "'response_format' must be 'openai' or 'hf'" })
  .openapi({ description: "'hf': Hugging Face image-to-text shape [{generated_text}] (also ?format=hf or Accept: application/vnd.huggingface+json)" });

export const CaptionsRequest = z
  .object({
    model: z.string().min(1).optional().openapi({ description: "A manifest id or alias; default: the manifest's default image-caption model", example: 'vit-gpt2' }),
    image: image.optional(),
    images: z.array(image).min(1, "'images' must not be empty").optional(),
    prompt: z.string().optional().openapi({ description: 'Text the caption starts with: its tokens are forced after the decoder start token; the caption returned is what follows it' }),
    max_tokens: maxTokens.optional(),
    response_format: responseFormat.optional(),
    return_token_ids: z.boolean().optional().openapi({ description: "Hearth: add each caption's token ids (data[].token_ids), e.g. to compare with transformers' generate" }),
    keep_alive: z.union([z.number(), z.string()]).optional().openapi({ description: 'Hearth/Ollama: how long the model stays loaded after this request' }),
  })
  .refine((b) => (b.image === undefined) !== (b.images === undefined), { message: "send exactly one of 'image' or 'images'", path: ['image'] })
  .openapi('CaptionsRequest');

/** The multipart form: image file(s) plus the same fields as strings. */
export const CaptionsForm = z
  .object({
    image: z.union([z.string().openapi({ format: 'binary' }), z.array(z.string().openapi({ format: 'binary' }))]).openapi({ description: 'One or more image files (repeat the field); a text value is read as in JSON' }),
    model: z.string().optional(),
    prompt: z.string().optional(),
    max_tokens: z.string().optional().openapi({ description: 'An integer' }),
    response_format: z.enum(['openai', 'hf']).optional(),
  })
  .openapi('CaptionsForm');

export const CaptionsResponse = z
  .object({
    object: z.literal('list'),
    model: z.string(),
    data: z.array(
      z.object({ index: z.number().int(), caption: z.string(), finish_reason: z.enum(['stop', 'length']), token_ids: z.array(z.number().int()).optional() }),
    ),
    usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() }),
    request_id: z.string(),
    processing_time_ms: z.number(),
  })
  .openapi('CaptionsResponse');

export const HfCaptionsResponse = z.array(z.object({ generated_text: z.string() })).openapi('HfImageToTextResponse');
