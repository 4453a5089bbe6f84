import { expect } from 'vitest';
import { HearthError } from '../../src/lib/errors.js';

/** Awaits a promise that must reject with a HearthError and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<HearthError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HearthError);
  return error as HearthError;
}
