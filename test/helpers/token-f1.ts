/** Word tokens, lower-cased, letters and digits only: what "main-text token F1" counts. */
export function tokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Bag-of-tokens F1 of an extraction against the ground truth (multiplicity counts). */
export function tokenF1(extracted: string, truth: string): { precision: number; recall: number; f1: number } {
  const got = tokens(extracted);
  const want = tokens(truth);
  const counts = new Map<string, number>();
  for (const t of want) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of got) {
    const n = counts.get(t) ?? 0;
    if (n > 0) {
      common++;
      counts.set(t, n - 1);
    }
  }
  const precision = got.length ? common / got.length : 0;
  const recall = want.length ? common / want.length : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}
