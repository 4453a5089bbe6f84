import { invalidRequest } from '../../lib/errors.js';
import { decodeTokenIds } from './token-ids.js';

export type EmbeddingInput = string | string[] | number[] | number[][];

const isTokenId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * Turns OpenAI's `input` (string | string[] | int[] | int[][]) into texts,
 * with an error that names exactly what is wrong.
 */
export async function inputsToTexts(input: unknown, requestedModel: string, maxInputs: number): Promise<string[]> {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) throw invalidRequest("'input' must be a string, an array of strings, an array of token ids or an array of token-id arrays", 'input');
  if (input.length === 0) throw invalidRequest("'input' must not be empty", 'input');
  if (input.every((v) => typeof v === 'string')) {
    checkCount(input.length, maxInputs);
    return input as string[];
  }
  if (input.every((v) => typeof v === 'number')) {
    const bad = input.findIndex((v) => !isTokenId(v));
    if (bad >= 0) throw invalidRequest(`input[${bad}] is not a valid token id (a non-negative integer)`, 'input');
    return decodeTokenIds([input as number[]], requestedModel);
  }
  if (input.every((v) => Array.isArray(v))) {
    checkCount(input.length, maxInputs);
    input.forEach((ids: unknown[], i) => {
      const bad = ids.findIndex((v) => !isTokenId(v));
      if (bad >= 0) throw invalidRequest(`input[${i}][${bad}] is not a valid token id (a non-negative integer)`, 'input');
    });
    return decodeTokenIds(input as number[][], requestedModel);
  }
  throw invalidRequest("'input' must not mix strings, token ids and arrays; send one kind per request", 'input');
}

function checkCount(count: number, max: number): void {
  if (count > max) throw invalidRequest(`'input' holds ${count} items; at most ${max} per request`, 'input');
}
