import { zipSync } from 'fflate';

/**
 * NumPy `.npz` (what `numpy.savez` writes and `numpy.load` reads): a zip of stored `.npy` files.
 * The zip container is fflate's (CRC-32, local + central headers); the `.npy` header is the
 * documented format 1.0 (magic, version, little-endian header length, a Python-literal dict padded
 * with spaces to a 64-byte boundary), small enough that no library is worth it.
 */
export type NpyArray =
  | { dtype: '<f4'; shape: number[]; data: Float32Array }
  | { dtype: '<i8'; shape: number[]; data: BigInt64Array }
  | { dtype: `<U${number}`; shape: []; data: string };

export function npzBytes(arrays: Array<[name: string, array: NpyArray]>): Uint8Array {
  // level 0: stored, as numpy.savez (not savez_compressed) writes; float vectors barely compress anyway.
  return zipSync(Object.fromEntries(arrays.map(([name, array]) => [`${name}.npy`, [npyBytes(array), { level: 0 }]])));
}

export function npyBytes(array: NpyArray): Uint8Array {
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  const dict = `{'descr': '${array.dtype}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic (6) + version (2) + length (2) + dict + padding + "\n", a multiple of 64 bytes in all.
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const body = bodyBytes(array);
  const out = new Uint8Array(10 + headerLength + body.byteLength);
  out.set([0x93, ...Buffer.from('NUMPY', 'latin1'), 1, 0], 0);
  new DataView(out.buffer).setUint16(8, headerLength, true);
  out.set(Buffer.from(dict.padEnd(headerLength - 1, ' ') + '\n', 'latin1'), 10);
  out.set(body, 10 + headerLength);
  return out;
}

/** Little-endian bytes; `<Un` is n UTF-32 code units, NUL-padded. */
function bodyBytes(array: NpyArray): Uint8Array {
  if (typeof array.data !== 'string') {
    const view = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
    return isLittleEndian ? view : swap(view, array.data.BYTES_PER_ELEMENT);
  }
  const width = Number(array.dtype.slice(2));
  const points = [...array.data].map((ch) => ch.codePointAt(0)!);
  if (points.length > width) throw new Error(`"${array.data}" does not fit ${array.dtype}`);
  const out = new DataView(new ArrayBuffer(width * 4));
  points.forEach((p, i) => out.setUint32(i * 4, p, true));
  return new Uint8Array(out.buffer);
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swap(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]!;
  return out;
}
