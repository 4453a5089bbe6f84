import { isLoopbackHost } from './addresses.js';

export interface BindFacts {
  host: string;
  keyCount: number;
  allowUnauthenticated: boolean;
  keysFile: string;
}

/**
 * Why the server must not start, or undefined when it may: listening beyond
 * loopback with no key at all would hand the endpoint to anyone who can reach
 * it, so that takes an explicit HEARTH_ALLOW_UNAUTHENTICATED=true.
 */
export function unsafeBindReason({ host, keyCount, allowUnauthenticated, keysFile }: BindFacts): string | undefined {
  if (keyCount > 0 || allowUnauthenticated || isLoopbackHost(host)) return undefined;
  return [
    `refusing to listen on ${host} without an API key: anyone who can reach that address could use this server.`,
    `Do one of:`,
    `  - add a key: hearth keys add <name>   (stored as a sha256 in ${keysFile}, set by HEARTH_KEYS_FILE), or set HEARTH_API_KEYS=<key>[,<key>...]`,
    `  - listen on loopback only: HEARTH_HOST=127.0.0.1`,
    `  - serve without keys anyway (e.g. behind your own authenticating proxy): HEARTH_ALLOW_UNAUTHENTICATED=true`,
  ].join('\n');
}
