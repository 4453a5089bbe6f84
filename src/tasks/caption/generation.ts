/** One caption as the worker returns it. */
export interface GeneratedRow {
  /** Caption tokens: generated after the decoder start and prompt, end-of-sequence excluded. */
  ids: number[];
  caption: string;
  /** 'stop': the model ended the caption; 'length': max_tokens cut it. */
  finish: 'stop' | 'length';
  /** Tokens the model generated for it (the end-of-sequence token counts: it was computed). */
  generated: number;
}

/**
 * A row of a batched greedy run, cut to what this caller would have got alone: greedy decoding is
 * causal, so a run with a larger token budget starts with exactly the shorter run's tokens. The row
 * starts with `prefixLength` forced tokens; after the first end-of-sequence token come only pads.
 */
export function cutGenerated(row: readonly number[], prefixLength: number, eosIds: readonly number[], maxNewTokens: number): Omit<GeneratedRow, 'caption'> {
  const tail = row.slice(prefixLength, prefixLength + maxNewTokens);
  const end = tail.findIndex((id) => eosIds.includes(id));
  if (end < 0) return { ids: tail, finish: 'length', generated: tail.length };
  return { ids: tail.slice(0, end), finish: 'stop', generated: end + 1 };
}

/**
 * The new-token budget of one request: max_tokens when given, else the model's default
 * (generation_config max_new_tokens, or max_length minus the forced decoder tokens, as transformers
 * counts it); never past the decoder's positions.
 */
export function tokenBudget(
  requested: number | undefined,
  model: { maxNewTokens?: number; maxLength: number; maxPositions: number },
  promptLength: number,
): { budget: number; limit: number } {
  const forced = 1 + promptLength;
  const limit = Math.max(0, model.maxPositions - forced);
  const fallback = model.maxNewTokens ?? Math.max(1, model.maxLength - forced);
  return { budget: Math.min(requested ?? fallback, limit), limit };
}
