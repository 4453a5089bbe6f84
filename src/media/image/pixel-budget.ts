import { HearthError } from '../../lib/errors.js';

/**
 * Decoded pixels one request may hold in all. Each image passes the per-image cap on its own, but a
 * request of many images is decoded before it is queued, so without this cap its memory would grow
 * with the number of images (64 images at 50 MP are 12.8 GB of RGBA).
 */
export class PixelBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  charge(pixels: number): void {
    this.used += pixels;
    if (this.used > this.limit) {
      throw new HearthError('payload_too_large', `the request's images hold more than ${this.limit} pixels in all; send fewer or smaller images`);
    }
  }
}

/** A fresh budget for one request, or none when the limits set no request cap. */
export const requestBudget = (limits: { maxRequestPixels?: number }): PixelBudget | undefined =>
  limits.maxRequestPixels === undefined ? undefined : new PixelBudget(limits.maxRequestPixels);
