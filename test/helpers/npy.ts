import { readFileSync } from 'node:fs';

/** A little-endian float32 .npy (numpy's save of a C-order array), as the Python reference scripts write them. */
export function readNpy(path: string): Float32Array {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.toString('latin1', 10, 10 + headerLength);
  if (!header.includes("'descr': '<f4'") || !header.includes("'fortran_order': False")) throw new Error(`${path}: not a C-order float32 .npy`);
  const body = bytes.subarray(10 + headerLength);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}
