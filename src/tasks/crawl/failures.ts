import type { Response as PageResponse } from 'playwright-core';
import type { Config } from '../../config.js';
import { HearthError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { EGRESS_HEADER, checkUrl, resolveAllowed } from '../../net/egress/index.js';

const REFUSED = 'URL not allowed: the page (or a redirect) leads to an address the egress policy refuses';
const NOT_HTTP = 'URL not allowed: a redirect leads to something that is not an http(s) URL';

/** The proxy marks its own answers: a refusal there is the caller's URL (or a redirect) hitting the policy. */
export function checkVerdict(response: PageResponse | null): void {
  const verdict = response?.headers()[EGRESS_HEADER];
  if (verdict === 'refused') throw new HearthError('url_not_allowed', REFUSED);
  if (verdict === 'upstream_failed') throw new HearthError('upstream_failed', 'could not connect to the site');
}

/**
 * A failed navigation (net::ERR_…): refused by the policy, e.g. an https redirect to an internal
 * host, whose CONNECT the proxy refused (Chromium only says "tunnel failed"), or the site's own
 * failure. The policy is asked again for the URL that failed; nothing connects.
 */
export async function navigationFailure(failedUrl: string, cause: unknown, egress: Config['egress'], log: Logger): Promise<HearthError> {
  const message = (cause as Error | null)?.message ?? '';
  if (/net::ERR_UNSAFE_REDIRECT/.test(message)) return new HearthError('url_not_allowed', NOT_HTTP);
  try {
    const target = checkUrl(failedUrl, { ports: egress.ports });
    await resolveAllowed(target.hostname, { allowlist: egress.allowlist, resolver: egress.resolver, log });
  } catch (error) {
    if (error instanceof HearthError && error.code === 'url_not_allowed') return new HearthError('url_not_allowed', REFUSED);
    if (error instanceof HearthError && error.code === 'invalid_request') return new HearthError('url_not_allowed', NOT_HTTP);
  }
  const reason = /net::(ERR_[A-Z_]+)/.exec(message)?.[1] ?? 'navigation failed';
  return new HearthError('upstream_failed', `could not load the page (${reason})`, { cause });
}
