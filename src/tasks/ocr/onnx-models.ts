import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RuntimeOptions, createSession, ort } from '../../runtime/onnx.js';
import type { OcrModels } from './pipeline.js';
import { alphabet } from './recognize.js';

/** Where the three graphs and the dictionary live (a manifest entry's files, resolved). */
export interface OcrModelFiles {
  dir: string;
  det: string;
  cls: string;
  rec: string;
  keys: string;
}

/** Loads PP-OCR's det/cls/rec graphs into onnxruntime sessions. */
export async function loadOcrModels(files: OcrModelFiles, runtime: RuntimeOptions): Promise<OcrModels & { provider: string; dispose(): Promise<void> }> {
  // Input shapes change with every page and line batch: an arena would keep the largest ever
  // seen (RapidOCR turns it off for the same reason); the worker's idle exit returns the rest.
  const session = { enableCpuMemArena: false };
  const [det, cls, rec, keys] = await Promise.all([
    createSession(join(files.dir, files.det), runtime, session),
    createSession(join(files.dir, files.cls), runtime, session),
    createSession(join(files.dir, files.rec), runtime, session),
    readFile(join(files.dir, files.keys), 'utf8'),
  ]);
  const run = async (s: ort.InferenceSession, data: Float32Array, dims: number[]) => {
    const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', data, dims) });
    const t = out[s.outputNames[0]!]!;
    return { data: t.data as Float32Array, dims: t.dims };
  };
  return {
    chars: alphabet(keys),
    provider: det.provider,
    det: async (input, h, w) => (await run(det.session, input, [1, 3, h, w])).data,
    cls: async (input, n) => (await run(cls.session, input, [n, 3, 48, 192])).data,
    rec: async (input, n, width) => {
      const out = await run(rec.session, input, [n, 3, 48, width]);
      return { data: out.data, steps: Number(out.dims[1]), classes: Number(out.dims[2]) };
    },
    dispose: async () => {
      await Promise.all([det.session.release(), cls.session.release(), rec.session.release()]);
    },
  };
}
