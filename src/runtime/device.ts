import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type Provider = 'cpu' | 'cuda';

/** The CUDA provider library is present only when onnxruntime-node was installed with its CUDA download. */
export function cudaListed(): boolean {
  try {
    const binding = createRequire(import.meta.url).resolve('onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node');
    return existsSync(join(dirname(binding), 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/** The provider createSession will try first for this setting (it may still fall back to CPU on "auto"). */
export function expectedProvider(device: 'auto' | 'cpu' | 'cuda'): Provider {
  if (device === 'auto') return cudaListed() ? 'cuda' : 'cpu';
  return device;
}

/**
 * GPU memory in use on the visible NVIDIA devices, in bytes, or undefined when
 * nvidia-smi is missing or fails. onnxruntime-node exposes no allocator
 * statistics, and inside a container nvidia-smi lists host pids, so the
 * device-wide figure is the one that can be read reliably.
 */
export function gpuMemoryUsedBytes(timeoutMs = 2000): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { timeout: timeoutMs }, (error, stdout) => {
      resolve(error ? undefined : parseMemoryUsedMiB(stdout));
    });
  });
}

/** nvidia-smi prints one line per GPU in MiB; the sum over devices, in bytes. */
export function parseMemoryUsedMiB(stdout: string): number | undefined {
  const values = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) return undefined;
  return values.reduce((sum, v) => sum + v, 0) * 1024 * 1024;
}
