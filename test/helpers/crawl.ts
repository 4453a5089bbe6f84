import { readFile } from 'node:fs/promises';
import { childPids } from '../../src/lib/lifecycle.js';
import { type FixtureSite, startFixtureSite } from './fixture-site.js';
import { type LoopbackServer, startIpv6Canary, startLoopbackServer } from './loopback.js';
import { type RunningServer, postJson, startServer } from './server.js';

/** The crawl test environment: the test config allowlists 127.0.0.1 (the fixture site) and nothing else. */
export const CRAWL_ENV = {
  HEARTH_EGRESS_ALLOWLIST: '127.0.0.1',
  HEARTH_CRAWL_DOMAIN_RPS: '1000',
  HEARTH_AUTO_PULL: 'false',
  // Names the tests use in place of DNS (the server never looks a name up in tests): one for the
  // allowlisted fixture site, one pointing at the canary as a rebinding attacker's name would.
  HEARTH_EGRESS_HOSTS: 'site.test=127.0.0.1,internal.test=127.0.0.2|127.0.0.1',
};

export interface CrawlRig {
  server: RunningServer;
  site: FixtureSite;
  /** Not allowlisted: must see zero connections, whatever a page does. */
  canary: LoopbackServer;
  canary6: LoopbackServer | null;
  crawl(body: Record<string, unknown>): Promise<{ status: number; headers: Headers; json: any }>;
  close(): Promise<void>;
}

export async function startCrawlRig(env: Record<string, string> = {}): Promise<CrawlRig> {
  const canary = await startLoopbackServer('127.0.0.2');
  const canary6 = await startIpv6Canary();
  const site = await startFixtureSite({ v4: `127.0.0.2:${canary.port}`, v6: canary6 ? `[::1]:${canary6.port}` : undefined });
  const server = await startServer({ ...CRAWL_ENV, ...env });
  return {
    server,
    site,
    canary,
    canary6,
    crawl: (body) => postJson(`${server.url}/v1/crawl`, body),
    close: async () => {
      await server.stop();
      await site.close();
      await canary.close();
      await canary6?.close();
    },
  };
}

/** Chromium processes under the server: the browser (drives a DevTools pipe) and its renderers. */
export async function chromiumPids(serverPid: number): Promise<{ browser: number[]; renderers: number[] }> {
  const all: number[] = [];
  const walk = async (pid: number) => {
    for (const child of await childPids(pid)) {
      all.push(child);
      await walk(child);
    }
  };
  await walk(serverPid);
  const browser: number[] = [];
  const renderers: number[] = [];
  for (const pid of all) {
    // Zygote-forked children rewrite their command line into one string, so match substrings.
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('--type=renderer')) renderers.push(pid);
    else if (cmdline.includes('--remote-debugging-pipe') && !cmdline.includes('--type=')) browser.push(pid);
  }
  return { browser, renderers };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
