import { HearthError } from '../../lib/errors.js';

export interface UrlRules {
  /** When non-empty, the only ports a URL may name (the scheme's default counts as 80/443). */
  ports?: readonly number[];
}

/** The one refusal every egress check answers with; the reason goes to the log, never the client. */
export const notAllowed = (detail: string): HearthError => new HearthError('url_not_allowed', `URL not allowed: ${detail}`);

const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * Parses and vets a URL before anything resolves or connects: http(s) only, no userinfo.
 * Userinfo is refused rather than stripped: `http://trusted@10.0.0.1/` only exists to make a
 * reader see the wrong host, and forwarding credentials to a server the caller named is a leak.
 * The WHATWG parser has already canonicalised numeric hosts (0x7f.1, 2130706433 → 127.0.0.1).
 */
export function checkUrl(input: string | URL, rules: UrlRules = {}): URL {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new HearthError('invalid_request', 'not a valid URL');
  }
  const defaultPort = DEFAULT_PORT[url.protocol];
  if (defaultPort === undefined) throw notAllowed('only http and https URLs can be fetched');
  if (url.username !== '' || url.password !== '') throw notAllowed('URLs with credentials are refused');
  if (url.hostname === '') throw notAllowed('the URL has no host');
  const port = url.port === '' ? defaultPort : Number(url.port);
  if (rules.ports && rules.ports.length > 0 && !rules.ports.includes(port)) throw notAllowed(`port ${port} is not allowed`);
  url.hash = '';
  return url;
}
