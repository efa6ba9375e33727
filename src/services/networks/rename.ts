// A renamed container answers to its new name in DNS at once: its endpoint records carry
// the names the DNS server matches, so they are rewritten (and persisted) here.
import type { NetworkDeps } from './deps.ts';

export async function renameEndpoints(deps: NetworkDeps, id: string, oldName: string, newName: string): Promise<void> {
  const from = oldName.replace(/^\//, '');
  const to = newName.replace(/^\//, '');
  await Promise.all(
    deps.store
      .endpointsOf(id)
      .filter((e) => e.names.length)
      .map((e) =>
        deps.store.putEndpoint({
          ...e,
          names: [...new Set(e.names.map((n) => (n === from ? to : n)))],
        }),
      ),
  );
}
