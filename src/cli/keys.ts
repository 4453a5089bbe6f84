import type { Config } from '../config.js';
import { KEY_NAME, type KeyRecord, newApiKey, readKeysFile, updateKeysFile } from '../security/keys-file.js';

const USAGE = 'usage: hearth keys add <name> [--rpm N] [--tpm N] | hearth keys ls | hearth keys rm <name>';

function perMinute(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${flag} takes a whole number per minute (0 = unlimited), not "${value}"`);
  return Number(value);
}

const limitText = (n: number | undefined) => (n === undefined ? 'default' : n === 0 ? 'unlimited' : String(n));

/**
 * `hearth keys add|ls|rm`: edits the keys file directly (the server re-reads it
 * within a second). The key itself is printed once, on stdout alone, so
 * `KEY=$(hearth keys add my-app)` works; only its sha256 is stored.
 */
export async function keys(config: Config, args: readonly string[], flags: { rpm?: string; tpm?: string }): Promise<number> {
  const file = config.security.keysFile;
  const [sub, name = ''] = args;
  if (args.length !== (sub === 'ls' || sub === 'list' ? 1 : 2)) throw new Error(USAGE);
  switch (sub) {
    case 'add': {
      if (!KEY_NAME.test(name) || /^env-\d+$/.test(name)) throw new Error(`invalid key name "${name}": use 1-64 letters, digits, ".", "_" or "-" (env-N is reserved)`);
      const rpm = perMinute('rpm', flags.rpm);
      const tpm = perMinute('tpm', flags.tpm);
      const { key, sha256 } = newApiKey();
      const record: KeyRecord = { name, sha256, created_at: new Date().toISOString() };
      if (rpm !== undefined || tpm !== undefined) record.rate_limit = { ...(rpm !== undefined ? { requests_per_minute: rpm } : {}), ...(tpm !== undefined ? { tokens_per_minute: tpm } : {}) };
      await updateKeysFile(file, (current) => {
        if (current.some((k) => k.name === name)) throw new Error(`a key named "${name}" already exists in ${file}: remove it first with \`hearth keys rm ${name}\``);
        return [...current, record];
      });
      console.error(`created key "${name}" in ${file}; it is shown once, below (Hearth keeps only its sha256):`);
      console.log(key);
      return 0;
    }
    case 'ls':
    case 'list': {
      const records = await readKeysFile(file);
      if (records.length === 0) console.log(`no keys in ${file}`);
      else {
        console.log(`${'NAME'.padEnd(24)} ${'CREATED'.padEnd(24)} ${'RPM'.padStart(9)} ${'TPM'.padStart(9)}  SHA256`);
        for (const k of records) {
          console.log(`${k.name.padEnd(24)} ${(k.created_at ?? '').padEnd(24)} ${limitText(k.rate_limit?.requests_per_minute).padStart(9)} ${limitText(k.rate_limit?.tokens_per_minute).padStart(9)}  ${k.sha256.slice(0, 8).toLowerCase()}…`);
        }
      }
      if (config.apiKeys.length > 0) console.log(`plus ${config.apiKeys.length} key(s) from HEARTH_API_KEYS (env-1…env-${config.apiKeys.length})`);
      return 0;
    }
    case 'rm':
    case 'delete': {
      await updateKeysFile(file, (current) => {
        if (!current.some((k) => k.name === name)) throw new Error(`no key named "${name}" in ${file}`);
        return current.filter((k) => k.name !== name);
      });
      console.log(`removed key "${name}"`);
      return 0;
    }
    default:
      throw new Error(USAGE);
  }
}
