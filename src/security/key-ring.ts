import { createHash, timingSafeEqual } from 'node:crypto';
import type { KeyRecord } from './keys-file.js';

/** Per-key limits from the keys file; undefined means "the server default", 0 means unlimited. */
export interface KeyLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

export interface KeyEntry {
  name: string;
  limits: KeyLimits;
}

interface StoredKey extends KeyEntry {
  digest: Buffer;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The configured keys, held only as sha256 digests. */
export class KeyRing {
  private readonly keys: StoredKey[];

  constructor(fileKeys: readonly KeyRecord[], envKeys: readonly string[]) {
    this.keys = [
      ...fileKeys.map((k) => ({
        name: k.name,
        digest: Buffer.from(k.sha256, 'hex'),
        limits: { requestsPerMinute: k.rate_limit?.requests_per_minute, tokensPerMinute: k.rate_limit?.tokens_per_minute },
      })),
      ...envKeys.map((k, i) => ({ name: `env-${i + 1}`, digest: digest(k), limits: {} })),
    ];
  }

  get size(): number {
    return this.keys.length;
  }

  get names(): string[] {
    return this.keys.map((k) => k.name);
  }

  /**
   * The entry whose key was presented. Digests have a fixed length, so
   * timingSafeEqual takes the same time whatever was sent, and every key is
   * compared (no early exit), so neither the match nor its position shows in
   * the response time.
   */
  match(presented: string): KeyEntry | undefined {
    const given = digest(presented);
    let found: StoredKey | undefined;
    for (const key of this.keys) {
      const equal = timingSafeEqual(key.digest, given);
      if (equal && found === undefined) found = key;
    }
    return found && { name: found.name, limits: found.limits };
  }
}
