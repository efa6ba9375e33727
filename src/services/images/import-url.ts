// POST /images/create?fromSrc=<url>: import a tarball fetched over HTTP(S).
import type { OpContext } from '../../common/context.ts';
import { invalidArgument } from '../../common/errors.ts';
import { send } from '../../registry/transport.ts';
import type { DistributionDeps, Emit } from './distribution-deps.ts';
import { importImage } from './import.ts';

export interface ImportUrlRequest {
  url: string;
  repo?: string;
  tag?: string;
  changes: string[];
  message?: string;
  platform?: string;
}

export async function importFromUrl(
  deps: DistributionDeps,
  ctx: OpContext,
  req: ImportUrlRequest,
  emit: Emit,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw invalidArgument(`invalid URL ${req.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalidArgument(`unsupported URL scheme ${url.protocol} (http or https)`);
  const res = await send({ method: 'GET', url: url.toString(), signal: ctx.signal });
  if (res.status !== 200) {
    res.body.resume();
    throw invalidArgument(`GET ${url}: status ${res.status}`);
  }
  const { id } = await importImage(deps, ctx, {
    src: res.body,
    repo: req.repo,
    tag: req.tag,
    changes: req.changes,
    message: req.message || `Imported from ${url}`,
    platform: req.platform,
  });
  emit({ status: id });
}
