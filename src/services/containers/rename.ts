import { conflict, invalidArgument } from '../../common/errors.ts';
import { validateContainerName } from '../../common/ids.ts';
import type { ContainerDeps } from './deps.ts';

export async function renameContainer(
  deps: Pick<ContainerDeps, 'store' | 'locks' | 'events'>,
  idOrName: string,
  newName: string | undefined,
): Promise<void> {
  if (!newName) throw invalidArgument('Neither old nor new names may be empty');
  const name = validateContainerName(newName);
  const c = deps.store.resolve(idOrName);
  const id = c.record.id;
  await deps.locks.run(id, async () => {
    const old = c.record.name;
    if (old === name) throw conflict(`Renaming a container with the same name as its current name`);
    deps.store.reserveName(name, id); // throws Docker's 409 when taken
    try {
      c.record = { ...c.record, name };
      await deps.store.saveRecord(c);
    } catch (err) {
      c.record = { ...c.record, name: old };
      deps.store.releaseName(name, id);
      throw err;
    }
    deps.store.releaseName(old, id);
    deps.events.publish('container', 'rename', id, { oldName: `/${old}` });
  });
}
