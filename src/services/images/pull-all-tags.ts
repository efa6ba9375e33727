// POST /images/create with neither a tag nor a digest (`docker pull --all-tags`): every tag
// the repository lists is pulled in turn, as dockerd does; one closing status for all.
import type { OpContext } from '../../common/context.ts';
import { notFound } from '../../common/errors.ts';
import { familiarName, parseReference } from '../../common/reference.ts';
import { connect } from '../../registry/hosts.ts';
import type { DistributionDeps, Emit } from './distribution-deps.ts';
import { pullImage, type PullRequest } from './pull.ts';

export function wantsAllTags(req: PullRequest): boolean {
  const ref = parseReference(req.fromImage);
  return !req.tag && !ref.tag && !ref.digest;
}

export async function pullAllTags(deps: DistributionDeps, ctx: OpContext, req: PullRequest, emit: Emit): Promise<void> {
  const ref = parseReference(req.fromImage);
  let tags: string[] | undefined;
  let lastErr: unknown;
  for (const client of await connect(ref.domain, deps.registry, req.auth, { signal: ctx.signal })) {
    try {
      tags = await client.tags(ref.path, ctx.signal);
      break;
    } catch (err) {
      lastErr = err;
    }
  }
  if (!tags) throw lastErr;
  if (tags.length === 0) throw notFound(`no tags found for repository ${familiarName(ref)}`);
  let newer = false;
  for (const tag of [...new Set(tags)].sort()) {
    await pullImage(deps, ctx, { ...req, tag }, (m) => {
      if (typeof m.status === 'string' && m.status.startsWith('Status: ')) {
        newer ||= m.status.startsWith('Status: Downloaded newer image');
        return;
      }
      emit(m);
    });
  }
  const name = familiarName(ref);
  emit({ status: newer ? `Status: Downloaded newer image for ${name}` : `Status: Image is up to date for ${name}` });
}
