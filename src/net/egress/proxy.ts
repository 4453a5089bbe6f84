import { type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, type Socket, connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../lib/log.js';
import type { Allowlist } from './allowlist.js';
import { pinnedLookup } from './pin.js';
import { type PinnedHost, type Resolver, resolveAllowed } from './resolve.js';
import { checkUrl } from './url.js';

export interface EgressProxyOptions {
  allowlist?: Allowlist;
  /** Allowed ports; empty or absent means any. */
  ports?: readonly number[];
  resolver?: Resolver;
  /** Connect timeout towards the target. */
  connectTimeoutMs: number;
  /** Hosts refused quietly whatever the policy says (the browser's own background services). */
  denyHosts?: ReadonlySet<string>;
  log?: Logger;
}

/** Marks answers the proxy made itself, so the crawler can tell a refusal from the site's own 403/502. */
export const EGRESS_HEADER = 'x-hearth-egress';
export type EgressVerdict = 'refused' | 'upstream_failed';

// Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own: never forwarded.
const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * The browser's only way out: a forward proxy (plain HTTP and CONNECT tunnels, WebSockets
 * included) that vets every host with the egress policy, resolves it once and dials the
 * pinned address. Chromium never resolves names itself while it uses a proxy, so DNS
 * rebinding, redirects, iframes and fetch() towards internal addresses all meet this check.
 * Bound to loopback only.
 */
export class EgressProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Duplex>();
  /** Counters for /api/status and tests. */
  readonly stats = { tunnels: 0, requests: 0, refused: 0, dropped: 0, failed: 0 };

  constructor(private readonly options: EgressProxyOptions) {}

  /** Starts listening on 127.0.0.1 (once); returns the proxy URL for Chromium's --proxy-server. */
  async start(): Promise<string> {
    if (!this.server) {
      const server = createServer((req, res) => void this.forward(req, res));
      server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.tunnel(req, socket, head, true));
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.tunnel(req, socket, head, false));
      server.on('connection', (socket: Socket) => this.track(socket));
      server.on('clientError', (_error, socket) => socket.destroy());
      this.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(socket: Duplex): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Vets a target; null (and a log line) when the policy refuses it. */
  private async vet(url: URL): Promise<PinnedHost | null> {
    if (this.options.denyHosts?.has(url.hostname.toLowerCase())) {
      this.stats.dropped++;
      this.options.log?.debug({ host: url.hostname }, 'crawl egress: browser background request dropped');
      return null;
    }
    try {
      checkUrl(url, { ports: this.options.ports });
      return await resolveAllowed(url.hostname, { allowlist: this.options.allowlist, resolver: this.options.resolver, log: this.options.log });
    } catch (error) {
      this.stats.refused++;
      this.options.log?.info({ host: url.hostname, port: url.port, reason: (error as Error).message }, 'crawl egress refused');
      return null;
    }
  }

  /** Plain http: an absolute-form request line, forwarded to the pinned address. */
  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      return void res.writeHead(400, { [EGRESS_HEADER]: 'refused' }).end();
    }
    const pin = await this.vet(url);
    if (!pin) return void res.writeHead(403, { [EGRESS_HEADER]: 'refused', 'content-type': 'text/plain' }).end('refused by the egress policy');
    const upstream = httpRequest({
      host: pin.hostname,
      port: url.port === '' ? 80 : Number(url.port),
      path: url.pathname + url.search,
      method: req.method,
      headers: endToEnd(req.headers),
      lookup: pinnedLookup(pin),
      agent: false,
      setHost: false,
      timeout: this.options.connectTimeoutMs,
    });
    upstream.on('socket', (socket) => this.track(socket));
    upstream.on('response', (answer) => {
      // A site cannot forge the proxy's own verdict header.
      const { [EGRESS_HEADER]: _forged, ...headers } = endToEnd(answer.headers);
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('timeout', () => upstream.destroy(new Error('connect timeout')));
    upstream.on('error', () => {
      this.stats.failed++;
      if (!res.headersSent) res.writeHead(502, { [EGRESS_HEADER]: 'upstream_failed' }).end();
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  /**
   * CONNECT host:port (https, wss, and ws: Chromium tunnels every WebSocket) or an Upgrade request
   * in absolute form: after the check both become a byte pipe to the pinned address.
   */
  private async tunnel(req: IncomingMessage, client: Duplex, head: Buffer, isConnect: boolean): Promise<void> {
    this.track(client);
    client.on('error', () => client.destroy());
    this.stats.tunnels++;
    let url: URL;
    try {
      url = new URL(isConnect ? `http://${req.url}` : (req.url ?? ''));
      if (isConnect && (url.pathname !== '/' || url.port === '')) throw new Error('CONNECT needs host:port');
    } catch {
      return void client.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    }
    const pin = await this.vet(url);
    if (!pin) return void client.end(`HTTP/1.1 403 Forbidden\r\n${EGRESS_HEADER}: refused\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    const upstream = connect({
      host: pin.hostname,
      port: url.port === '' ? 80 : Number(url.port),
      lookup: pinnedLookup(pin),
      autoSelectFamily: pin.addresses.length > 1,
      timeout: this.options.connectTimeoutMs,
    });
    this.track(upstream);
    let open = false;
    upstream.once('timeout', () => !open && upstream.destroy(new Error('connect timeout')));
    upstream.once('connect', () => {
      open = true;
      upstream.setTimeout(0);
      if (isConnect) client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      else upstream.write(requestHead(req, url));
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      this.stats.failed++;
      if (!open) client.end(`HTTP/1.1 502 Bad Gateway\r\n${EGRESS_HEADER}: upstream_failed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
      else client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }
}

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const listed = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()));
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name) && !listed.has(name)));
}

/** The Upgrade request re-serialised in origin form, Connection/Upgrade kept (they are the point). */
function requestHead(req: IncomingMessage, url: URL): string {
  const lines = [`${req.method} ${url.pathname}${url.search} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (!/^proxy-/i.test(name)) lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}
