// DELETE /containers/{/parent/alias}?link=1 (`docker rm --link`): a legacy link leaves its
// parent's HostConfig.Links, so the next start has no /etc/hosts entry or link variables
// for it (a running parent keeps what it was started with, as in Docker). The linked
// container itself is untouched.
import { conflict, notFound } from '../../common/errors.ts';
import type { NetworkDeps } from './deps.ts';

export async function removeLink(deps: NetworkDeps, name: string): Promise<void> {
  const full = name.startsWith('/') ? name : `/${name}`;
  const cut = full.lastIndexOf('/');
  if (cut === 0) throw conflict('Conflict, cannot remove the default link name of the container');
  const parentName = full.slice(1, cut);
  const alias = full.slice(cut + 1);
  const parent = deps.containers.tryResolve(parentName);
  if (!parent) throw notFound(`Cannot get parent /${parentName} for link name ${full}`);
  await deps.locks.run(parent.record.id, async () => {
    const links = (parent.record.hostConfig.Links as string[] | null | undefined) ?? [];
    const keep = links.filter((l) => {
      const [target, a] = l.replace(/^\//, '').split(':');
      return (a ?? target).replace(/^.*\//, '') !== alias;
    });
    if (keep.length === links.length) throw notFound(`No such container: ${full}`);
    parent.record.hostConfig.Links = keep.length ? keep : null;
    await deps.containers.saveRecord(parent);
  });
}
