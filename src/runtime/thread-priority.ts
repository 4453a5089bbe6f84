import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the scheduling priority of the calling thread (Linux: niceness is per
 * thread, and threads onnxruntime creates afterwards inherit it). Inference
 * threads then yield the CPU to the HTTP thread, so /health and queue
 * rejections answer promptly while a model saturates every core; total
 * inference throughput is unchanged because nothing else wants the CPU.
 * Returns false where the platform gives no thread id.
 */
export function niceCurrentThread(niceness: number): boolean {
  if (niceness === 0 || process.platform !== 'linux') return false;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, niceness);
    return true;
  } catch {
    return false;
  }
}
