export type Pooling = 'mean' | 'cls' | 'last';

/**
 * Pools token vectors [batch, seq, dim] into one vector per row, as
 * sentence-transformers' Pooling module does, honouring the attention mask.
 */
export function pool(hidden: Float32Array, mask: ArrayLike<number | bigint>, batch: number, seq: number, dim: number, mode: Pooling): Float32Array {
  const out = new Float32Array(batch * dim);
  for (let b = 0; b < batch; b++) {
    const row = out.subarray(b * dim, (b + 1) * dim);
    if (mode === 'cls') {
      row.set(hidden.subarray(b * seq * dim, b * seq * dim + dim));
      continue;
    }
    if (mode === 'last') {
      let last = 0;
      for (let t = 0; t < seq; t++) if (Number(mask[b * seq + t]) !== 0) last = t;
      const at = (b * seq + last) * dim;
      row.set(hidden.subarray(at, at + dim));
      continue;
    }
    let count = 0;
    for (let t = 0; t < seq; t++) {
      if (Number(mask[b * seq + t]) === 0) continue;
      count++;
      const at = (b * seq + t) * dim;
      for (let d = 0; d < dim; d++) row[d]! += hidden[at + d]!;
    }
    const scale = 1 / Math.max(count, 1e-9);
    for (let d = 0; d < dim; d++) row[d]! *= scale;
  }
  return out;
}

/** L2-normalises each row in place (rows of zeros stay zero, as torch's normalize with eps). */
export function normalizeRows(data: Float32Array, dim: number): Float32Array {
  for (let at = 0; at < data.length; at += dim) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += data[at + d]! * data[at + d]!;
    const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
    for (let d = 0; d < dim; d++) data[at + d]! *= scale;
  }
  return data;
}
