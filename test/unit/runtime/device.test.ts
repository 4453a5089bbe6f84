import { describe, expect, it } from 'vitest';
import { parseMemoryUsedMiB } from '../../../src/runtime/device.js';

describe('parseMemoryUsedMiB (nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits)', () => {
  it('sums the devices, in bytes', () => {
    expect(parseMemoryUsedMiB('1024\n')).toBe(1024 * 1024 * 1024);
    expect(parseMemoryUsedMiB('100\n 28 \n')).toBe(128 * 1024 * 1024);
  });

  it('gives undefined for output it does not understand', () => {
    expect(parseMemoryUsedMiB('')).toBeUndefined();
    expect(parseMemoryUsedMiB('[N/A]\n')).toBeUndefined();
    expect(parseMemoryUsedMiB('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.')).toBeUndefined();
  });
});
