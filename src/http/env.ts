import type { Logger } from '../lib/log.js';
import type { KeyLimits } from '../security/key-ring.js';

/** Per-request variables the middlewares set and the routes read. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** The model a route resolved, for the access log. */
    model?: string;
    /** Name of the API key used, for the access log (never the key). */
    keyName?: string;
    /** That key's own rate limits (keys file), over the server defaults. */
    keyLimits?: KeyLimits;
    /** The client's address: the peer, or X-Forwarded-For's when the peer is a trusted proxy. */
    clientIp?: string;
    /** A loopback client that is not a forwarded request (HEARTH_LOOPBACK_NO_AUTH). */
    clientLoopback?: boolean;
    /** Model tokens (or images) the request used, set by the route and charged by the rate limiter. */
    tokens?: number;
  };
}
