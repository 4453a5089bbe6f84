import { getConnInfo } from '@hono/node-server/conninfo';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../lib/log.js';
import type { AppEnv } from '../env.js';

/** One JSON line per request, after it is answered (the API key itself is never logged). */
export function accessLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    c.set('log', log.child({ request_id: c.var.requestId }));
    await next();
    // The resolved client (X-Forwarded-For behind a trusted proxy) when the security middleware got that far.
    let clientIp: string | undefined = c.var.clientIp;
    try {
      clientIp ??= getConnInfo(c).remote.address;
    } catch {
      clientIp = undefined;
    }
    log.info({
      msg: 'request',
      request_id: c.var.requestId,
      client_ip: clientIp,
      method: c.req.method,
      endpoint: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      model: c.var.model,
      key: c.var.keyName,
    });
  };
}
