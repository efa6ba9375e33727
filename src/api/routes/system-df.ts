// GET /system/df: disk usage (images, containers, volumes, build cache).
import type { Router } from '../router.ts';
import { sendJson } from '../http.ts';
import type { DiskUsage } from '../types/system.ts';

export interface DiskUsageBackend {
  diskUsage(types: string[]): Promise<DiskUsage>;
}

export function diskUsageRoutes(r: Router, b: DiskUsageBackend): void {
  r.add('GET', '/system/df', async (ctx) => sendJson(ctx.res, 200, await b.diskUsage(ctx.query.all('type'))));
}
