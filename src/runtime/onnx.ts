import * as ort from 'onnxruntime-node';
import { cudaListed } from './device.js';
import { niceCurrentThread } from './thread-priority.js';

export interface RuntimeOptions {
  device: 'auto' | 'cpu' | 'cuda';
  intraOpThreads: number;
  interOpThreads: number;
  /** Niceness for inference threads (0 = leave alone); see thread-priority.ts. */
  inferenceNice: number;
}

export { ort };

/**
 * Creates an onnxruntime session with the project's thread settings. Spinning is
 * turned off so an idle model costs no CPU; CUDA is used when asked for (or on
 * "auto" when the binding lists it) and falls back to CPU when it cannot start. `overrides`
 * replace individual session options (OCR turns the CPU memory arena off, as RapidOCR does).
 */
export async function createSession(
  modelPath: string,
  options: RuntimeOptions,
  overrides: ort.InferenceSession.SessionOptions = {},
): Promise<{ session: ort.InferenceSession; provider: string }> {
  // Before the session exists, so onnxruntime's own pool threads inherit the niceness.
  niceCurrentThread(options.inferenceNice);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: options.interOpThreads,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: {
      session: {
        intra_op: { allow_spinning: '0' },
        inter_op: { allow_spinning: '0' },
      },
    },
    ...overrides,
  };
  const wantsCuda = options.device === 'cuda' || (options.device === 'auto' && cudaListed());
  if (wantsCuda) {
    try {
      const session = await ort.InferenceSession.create(modelPath, { ...sessionOptions, executionProviders: ['cuda', 'cpu'] });
      return { session, provider: 'cuda' };
    } catch (error) {
      if (options.device === 'cuda') throw error;
    }
  }
  const session = await ort.InferenceSession.create(modelPath, { ...sessionOptions, executionProviders: ['cpu'] });
  return { session, provider: 'cpu' };
}
