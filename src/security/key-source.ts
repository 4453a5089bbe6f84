import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../lib/log.js';
import { KeyRing } from './key-ring.js';
import { parseKeysFile } from './keys-file.js';

export interface KeySourceOptions {
  file: string;
  envKeys: readonly string[];
  log?: Logger;
  now?: () => number;
  /** How often a request may stat the file; between checks the last ring is used. */
  checkIntervalMs?: number;
}

const ABSENT = 'absent';

/**
 * The live key ring: HEARTH_API_KEYS plus the keys file, re-read when the file
 * changes. A request stats the file at most once per checkIntervalMs (inode,
 * size and mtime; the CLI's rename-over write always changes the inode) rather
 * than using fs.watch, which loses a file replaced by rename, misses changes
 * on network and container bind mounts, and needs its handle cleaned up. The
 * cost is one stat a second and up to a second before a change applies. A file
 * that fails to parse keeps the last good ring (logged once per change); a
 * deleted file leaves only the env keys, so deleting it revokes its keys.
 */
export class KeySource {
  private ring: KeyRing;
  private signature: string | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private checking: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly intervalMs: number;

  constructor(private readonly options: KeySourceOptions) {
    this.ring = new KeyRing([], options.envKeys);
    this.now = options.now ?? Date.now;
    this.intervalMs = options.checkIntervalMs ?? 1000;
  }

  /** First load: a keys file that does not parse is an error here (the server refuses to start). */
  async load(): Promise<KeyRing> {
    this.checkedAt = this.now();
    const signature = await this.fileSignature();
    this.ring = new KeyRing(signature === ABSENT ? [] : parseKeysFile(await readFile(this.options.file, 'utf8'), this.options.file), this.options.envKeys);
    this.signature = signature;
    return this.ring;
  }

  /** The ring to check a request against, refreshed when the file changed (at most one stat per interval). */
  async current(): Promise<KeyRing> {
    if (this.now() - this.checkedAt >= this.intervalMs) {
      this.checkedAt = this.now();
      this.checking ??= this.refresh().finally(() => (this.checking = undefined));
    }
    if (this.checking) await this.checking;
    return this.ring;
  }

  private async refresh(): Promise<void> {
    const signature = await this.fileSignature().catch(() => this.signature);
    if (signature === this.signature) return;
    const { file, envKeys, log } = this.options;
    const previous = this.ring;
    try {
      const records = signature === ABSENT ? [] : parseKeysFile(await readFile(file, 'utf8'), file);
      this.ring = new KeyRing(records, envKeys);
      log?.info({ keys_file: file, keys: this.ring.names, ...(signature === ABSENT ? { absent: true } : {}) }, 'keys reloaded');
      if (previous.size > 0 && this.ring.size === 0) log?.warn({ keys_file: file }, 'no API keys are configured any more');
    } catch (error) {
      // ENOENT between stat and read is a delete in progress: the next check sees it.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      log?.error({ keys_file: file, error: (error as Error).message }, 'keys file is invalid; keeping the previous keys');
    }
    this.signature = signature;
  }

  private async fileSignature(): Promise<string> {
    try {
      const s = await stat(this.options.file);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ABSENT;
      throw error;
    }
  }
}
