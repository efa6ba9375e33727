// The real container networking (daemon/wire-network.ts over services/networks/ and network/:
// bridges, veths and namespaces through netlink, nftables) passes the conformance suite
// the fake passes in the unit tests. Root only; each test gets its own bridge, address pool
// and name prefixes, and a namespace or veth left behind fails it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Router } from '../src/api/router.ts';
import { silentLogger } from '../src/common/logger.ts';
import { KeyedMutex } from '../src/common/mutex.ts';
import { ContainerStore, type Container } from '../src/containers/store.ts';
import { DEFAULTS, type DaemonConfig } from '../src/daemon/config.ts';
import { buildNetworking, networkSettingsFrom, type Networking } from '../src/daemon/wire-network.ts';
import { EventBus } from '../src/events/bus.ts';
import { createNetns } from '../src/network/links.ts';
import { createNetwork } from '../src/services/networks/create.ts';
import { networkingConformance, type NamespaceView } from '../src/services/testing/networking-conformance.ts';
import { isRoot, removeNetworking, testNetwork } from './helpers/daemon.ts';

const IP = '/usr/sbin/ip';

/** The namespace's interfaces (loopback left out) and default gateway, as `ip` shows them. */
function observe(path: string): NamespaceView | undefined {
  if (!existsSync(path)) return undefined;
  const ns = basename(path);
  const links = JSON.parse(
    execFileSync(IP, ['-n', ns, '-j', 'addr', 'show'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString(),
  ) as {
    ifname: string;
    address: string;
    addr_info: { family: string; local: string; prefixlen: number }[];
  }[];
  const routes = JSON.parse(
    execFileSync(IP, ['-n', ns, '-j', 'route', 'show', 'default'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString(),
  ) as {
    gateway?: string;
  }[];
  return {
    interfaces: links
      .filter((l) => l.ifname !== 'lo')
      .map((l) => {
        const v4 = l.addr_info.find((a) => a.family === 'inet');
        return { name: l.ifname, address: v4 ? `${v4.local}/${v4.prefixlen}` : '', mac: l.address };
      }),
    ...(routes[0]?.gateway ? { gateway: routes[0].gateway } : {}),
  };
}

networkingConformance(
  'daemon networking (bridges, netlink, nftables)',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-conformance-net-'));
    const net = testNetwork(root);
    const config: DaemonConfig = {
      ...DEFAULTS,
      dataRoot: join(root, 'data'),
      execRoot: join(root, 'exec'),
      bridge: net.bridge,
      defaultAddressPools: [{ base: net.pool, size: 24 }],
    };
    const engineId = randomBytes(32).toString('hex');
    const containers = new ContainerStore(join(config.dataRoot, 'containers'));
    await containers.load();
    const open = async () => {
      const n = buildNetworking({
        config,
        engineId,
        containers,
        events: new EventBus(),
        locks: new KeyedMutex(),
        log: silentLogger,
        router: new Router(),
      });
      await n.init();
      return n;
    };
    let networking: Networking = await open();
    const subnetOf = (name: string) => {
      const n = networking.deps.store.resolve(name);
      return { subnet: n.ipam!.subnet, gateway: n.ipam!.gateway };
    };
    const h = {
      networking: networking.containers,
      async add(c: Container) {
        containers.reserveName(c.record.name, c.record.id);
        await mkdir(containers.dir(c.record.id), { recursive: true });
        await containers.add(c);
      },
      defaultBridge: async () => subnetOf('bridge'),
      async createNetwork(name: string) {
        await createNetwork(networking.deps, { Name: name });
        return subnetOf(name);
      },
      observe: async (path: string) => observe(path),
      strayNamespace: () => createNetns(`${networkSettingsFrom(config).netnsPrefix}${randomBytes(6).toString('hex')}`),
      async restart(running: string[]) {
        // A crash: nothing is released; the next daemon finds the records and the kernel state.
        await networking.close();
        networking = await open();
        await networking.reconcile((id) => running.includes(id));
        h.networking = networking.containers;
        return h.networking;
      },
      async close() {
        for (const c of containers.list()) await networking.containers.release(c.record.id).catch(() => {});
        await networking.close();
        const leaks = await removeNetworking(config.dataRoot, config.execRoot, net.bridge);
        await rm(root, { recursive: true, force: true });
        if (leaks.length) throw new Error(`left behind: ${leaks.join(', ')}`);
      },
    };
    return h;
  },
  { skip: isRoot ? undefined : 'needs root (network namespaces, bridges, nftables)' },
);
