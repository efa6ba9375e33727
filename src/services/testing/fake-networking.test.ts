// The in-memory fake passes the ContainerNetworking conformance suite (no root needed).
// The real wiring runs the same suite in test/conformance-networking.test.ts.
import type { Container } from '../../containers/store.ts';
import { FakeNetworkHost, FakeNetworking } from './fake-networking.ts';
import { networkingConformance } from './networking-conformance.ts';

networkingConformance('fake', async () => {
  const host = new FakeNetworkHost();
  const containers = new Map<string, Container>();
  const lookup = (ref: string) =>
    containers.get(ref) ?? [...containers.values()].find((c) => c.record.name === ref || c.record.id.startsWith(ref));
  const net = (id: string) => host.networks.get(id) ?? [...host.networks.values()].find((n) => n.name === id)!;
  const h = {
    networking: new FakeNetworking(host, lookup),
    add: async (c: Container) => void containers.set(c.record.id, c),
    defaultBridge: async () => ({ subnet: net('bridge').subnet, gateway: net('bridge').gateway }),
    async createNetwork(name: string) {
      const n = host.addNetwork(name);
      return { subnet: n.subnet, gateway: n.gateway };
    },
    observe: async (path: string) => host.namespaces.get(path),
    strayNamespace: async () => host.strayNamespace(),
    async restart(running: string[]) {
      const fresh = new FakeNetworking(host, lookup);
      await fresh.reconcile((id) => running.includes(id));
      h.networking = fresh;
      return fresh;
    },
    async close() {
      const left = [...host.namespaces.keys()];
      if (left.length) throw new Error(`namespaces left behind: ${left.join(', ')}`);
    },
  };
  return h;
});
