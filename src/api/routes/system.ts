// /_ping, /version, /info.
import type { Router } from '../router.ts';
import { sendJson } from '../http.ts';
import { API_VERSION } from '../../common/api-version.ts';
import type { SystemInfo, SystemVersion } from '../types/system.ts';

export interface SystemBackend {
  version(): SystemVersion;
  info(): Promise<SystemInfo>;
}

export function systemRoutes(r: Router, b: SystemBackend): void {
  const ping = async (ctx: Parameters<Parameters<Router['add']>[2]>[0]) => {
    ctx.res.writeHead(200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'API-Version': API_VERSION,
      OSType: 'linux',
      'Docker-Experimental': 'false',
      'Builder-Version': '1',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
    });
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  };
  r.add('GET', '/_ping', ping);
  r.add('HEAD', '/_ping', ping);
  r.add('GET', '/version', async (ctx) => sendJson(ctx.res, 200, b.version()));
  r.add('GET', '/info', async (ctx) => sendJson(ctx.res, 200, await b.info()));
}
