import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ModelDetails {
  format: 'onnx';
  family: string;
  parameterCount: number | null;
  quantization: string;
  contextLength: number | null;
  embeddingLength: number | null;
}

/**
 * What Ollama-style clients show about a model, read from its files: the
 * transformers config.json (architecture, sizes) and the ONNX graph's size.
 */
export async function readDetails(snapshotDir: string, onnxFile: string | undefined): Promise<ModelDetails> {
  const config = await readFile(join(snapshotDir, 'config.json'), 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>, () => ({}) as Record<string, unknown>);
  const onnxBytes = onnxFile ? await stat(join(snapshotDir, onnxFile)).then((s) => s.size, () => 0) : 0;
  const quantized = onnxFile !== undefined && /quant|int8|q8|uint8/i.test(onnxFile);
  const num = (key: string) => (typeof config[key] === 'number' ? (config[key] as number) : null);
  return {
    format: 'onnx',
    family: typeof config.model_type === 'string' ? config.model_type : 'unknown',
    // fp32 graphs are almost all weights, 4 bytes each; int8 ones 1 byte each.
    parameterCount: onnxBytes ? Math.round(onnxBytes / (quantized ? 1 : 4)) : null,
    quantization: quantized ? 'Q8_0' : 'F32',
    contextLength: num('max_position_embeddings'),
    embeddingLength: num('hidden_size'),
  };
}

/** "22.7M", "1.1B" as Ollama prints parameter sizes. */
export function parameterSize(count: number | null): string {
  if (!count) return '';
  if (count >= 1e9) return `${(count / 1e9).toFixed(1)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
  return `${Math.round(count / 1e3)}K`;
}
