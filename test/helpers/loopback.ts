import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * HTTP servers for egress tests, bound to loopback only. A canary is a server the test
 * config does not allowlist: it must count zero connections.
 */
export interface LoopbackServer {
  host: string;
  port: number;
  /** Base URL, e.g. http://127.0.0.1:PORT (brackets for IPv6). */
  url: string;
  connections: number;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;

export async function startLoopbackServer(host: string, handler: Handler = (_req, res) => res.end('canary')): Promise<LoopbackServer> {
  if (!LOOPBACK.test(host)) throw new Error(`tests bind loopback only, not ${host}`);
  const server: Server = createServer((req, res) => {
    state.requests.push(req);
    handler(req, res);
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const state: LoopbackServer = {
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    connections: 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** Starts a canary on ::1 when this machine has IPv6 loopback; null otherwise. */
export async function startIpv6Canary(): Promise<LoopbackServer | null> {
  try {
    return await startLoopbackServer('::1');
  } catch {
    return null;
  }
}
