import type { ModelDetails } from '../../tasks/models/details.js';
import { parameterSize } from '../../tasks/models/details.js';

/** Ollama names always carry a tag; Hearth's hub ids get ":latest" (and accept it back). */
export const ollamaName = (id: string) => `${id}:latest`;

/** Ollama has no "never expires" value: clients parse expires_at as a date, so forever is the far end of ISO-8601. */
export const FOREVER = '9999-12-31T23:59:59Z';

export function ollamaDetails(details: ModelDetails | null) {
  return {
    parent_model: '',
    format: details?.format ?? 'onnx',
    family: details?.family ?? 'unknown',
    families: [details?.family ?? 'unknown'],
    parameter_size: parameterSize(details?.parameterCount ?? null),
    quantization_level: details?.quantization ?? '',
  };
}

/** Ollama's durations are nanoseconds. */
export const nanos = (ms: number) => Math.round(ms * 1e6);
