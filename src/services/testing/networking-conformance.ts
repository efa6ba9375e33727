// The ContainerNetworking port's contract as one reusable test suite: what the container
// services may rely on from whatever sets up a task's network (our bridges and netlink
// today, a CNI plugin chain for the CRI tomorrow, the in-memory fake in unit tests).
//
// A harness shows what a namespace holds (observe), so the suite checks the interfaces and
// addresses a container would see, not only what the implementation reports about itself.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../../common/digest.ts';
import type { Container } from '../../containers/store.ts';
import { initialState, type ContainerRecord, type EndpointConfig, type HostConfig } from '../../containers/types.ts';
import { transition } from '../../containers/state-machine.ts';
import type { NetworkSettings } from '../../api/types/networks.ts';
import type { ContainerNetworking } from '../containers/network-port.ts';
import { harnessTest, rejectsWithKind, type ConformanceOptions } from './conformance.ts';

/** One interface in a namespace (loopback left out). */
export interface NamespaceInterface {
  name: string;
  /** `10.1.2.3/24` */
  address: string;
  mac: string;
}

export interface NamespaceView {
  interfaces: NamespaceInterface[];
  /** The default route's gateway, if there is one. */
  gateway?: string;
}

export interface NetworkingHarness {
  /** The port under test (replaced by restart()). */
  networking: ContainerNetworking;
  /** Makes a container known (as `docker create` records it). */
  add(c: Container): Promise<void>;
  /** The default bridge network's subnet and gateway. */
  defaultBridge(): Promise<{ subnet: string; gateway: string }>;
  /** Creates a user-defined bridge network. */
  createNetwork(name: string): Promise<{ subnet: string; gateway: string }>;
  /** What the network namespace at `path` holds; undefined when there is none. */
  observe(path: string): Promise<NamespaceView | undefined>;
  /** A namespace as a crash in the middle of a set-up leaves it: made, but on no record. */
  strayNamespace(): Promise<string>;
  /**
   * Berthd dies without releasing anything and starts again over the same state; its
   * start-up reconciles with `running` as the containers whose tasks survived.
   */
  restart(running: string[]): Promise<ContainerNetworking>;
  /** Removes everything; rejects when something was left behind (namespaces, interfaces). */
  close(): Promise<void>;
}

export interface ContainerSpec {
  name?: string;
  networkMode?: string;
  endpoints?: Record<string, EndpointConfig>;
  portBindings?: HostConfig['PortBindings'];
  running?: boolean;
}

/** A container record as create makes it (what prepare reads). */
export function containerOf(s: ContainerSpec = {}): Container {
  const id = randomBytes(32).toString('hex');
  const record: ContainerRecord = {
    schema: 1,
    id,
    name: s.name ?? `c-${id.slice(0, 8)}`,
    created: new Date().toISOString(),
    path: 'sh',
    args: [],
    config: {
      Image: 'conformance',
      ExposedPorts: Object.fromEntries(Object.keys(s.portBindings ?? {}).map((k) => [k, {}])),
    },
    hostConfig: { NetworkMode: s.networkMode ?? 'default', PortBindings: s.portBindings ?? {} },
    image: sha256('conformance image'),
    logPath: '',
    endpointsConfig: s.endpoints,
  };
  const c = { record, runtime: initialState() };
  if (s.running) transition(c, 'running', { Pid: 1 });
  return c;
}

/** 10.1.2.3 inside 10.1.0.0/16? */
function inSubnet(ip: string, subnet: string): boolean {
  const [base, bits] = subnet.split('/');
  const n = (s: string) => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const mask = 2 ** 32 - 2 ** (32 - Number(bits));
  return (n(ip) & mask) >>> 0 === (n(base) & mask) >>> 0;
}

const networksOf = (settings: Pick<NetworkSettings, 'Networks'>) => settings.Networks ?? {};

export function networkingConformance(
  name: string,
  make: () => Promise<NetworkingHarness>,
  opts: ConformanceOptions = {},
): void {
  const it = harnessTest(make);

  /** Adds a container and prepares its network; resolves once it is ready. */
  async function prepared(h: NetworkingHarness, s: ContainerSpec = {}) {
    const c = containerOf(s);
    await h.add(c);
    const p = h.networking.prepare(c);
    await p.ready;
    transition(c, 'running', { Pid: 1 });
    return { c, network: p.network };
  }

  const pathOf = (n: ReturnType<ContainerNetworking['prepare']>['network']) => {
    assert.ok(typeof n === 'object', `a namespace path, not ${JSON.stringify(n)}`);
    return n.path;
  };

  describe(`${name}: ContainerNetworking conformance`, { skip: opts.skip }, () => {
    it('knows the built-in networks and those created, and no other', async (h) => {
      for (const n of ['bridge', 'host', 'none']) assert.equal(h.networking.exists(n), true, n);
      assert.equal(h.networking.exists('conformance-net'), false);
      await h.createNetwork('conformance-net');
      assert.equal(h.networking.exists('conformance-net'), true);
    });

    it("host shares the host's namespace and none gets a private one: nothing to release", async (h) => {
      const host = await prepared(h, { networkMode: 'host' });
      assert.equal(host.network, 'host');
      const none = await prepared(h, { networkMode: 'none' });
      assert.equal(none.network, 'private');
      for (const { c } of [host, none]) {
        assert.equal(h.networking.inspect(c).IPAddress, '');
        await h.networking.release(c.record.id);
      }
    });

    it('the default bridge: a namespace with the address, MAC and default route inspect reports', async (h) => {
      const bridge = await h.defaultBridge();
      const { c, network } = await prepared(h);
      const path = pathOf(network);
      const ns = await h.observe(path);
      assert.ok(ns, `a namespace at ${path}`);
      assert.equal(ns.interfaces.length, 1, JSON.stringify(ns.interfaces));
      const [eth0] = ns.interfaces;
      assert.equal(eth0.name, 'eth0');
      const [ip, bits] = eth0.address.split('/');
      assert.ok(inSubnet(ip, bridge.subnet), `${ip} in ${bridge.subnet}`);
      assert.notEqual(ip, bridge.gateway);
      assert.equal(ns.gateway, bridge.gateway, 'the default route goes through the bridge');
      const s = h.networking.inspect(c);
      assert.equal(s.SandboxKey, path);
      assert.equal(s.IPAddress, ip);
      assert.equal(s.IPPrefixLen, Number(bits));
      assert.equal(s.Gateway, bridge.gateway);
      assert.equal(s.MacAddress, eth0.mac);
      const ep = networksOf(s).bridge;
      assert.equal(ep.IPAddress, ip);
      assert.equal(ep.MacAddress, eth0.mac);
      assert.ok(ep.NetworkID, 'the network ID');
      assert.equal(networksOf(h.networking.summary(c)).bridge.IPAddress, ip);
      await h.networking.release(c.record.id);
    });

    it('concurrent set-ups get distinct addresses', async (h) => {
      const all = await Promise.all(Array.from({ length: 8 }, () => prepared(h)));
      const ips = all.map(({ c }) => h.networking.inspect(c).IPAddress as string);
      assert.equal(new Set(ips).size, ips.length, `distinct: ${ips}`);
      const seen = await Promise.all(all.map(({ network }) => h.observe(pathOf(network))));
      assert.deepEqual(
        seen.map((ns) => ns?.interfaces[0]?.address.split('/')[0]),
        ips,
        'each namespace holds the address reported for it',
      );
      await Promise.all(all.map(({ c }) => h.networking.release(c.record.id)));
    });

    it('release takes everything back and is idempotent; a container can be set up again', async (h) => {
      const { c, network } = await prepared(h);
      await h.networking.release(c.record.id);
      assert.equal(await h.observe(pathOf(network)), undefined, 'the namespace is gone');
      assert.equal(h.networking.inspect(c).IPAddress, '');
      assert.equal(networksOf(h.networking.inspect(c)).bridge?.IPAddress ?? '', '');
      await h.networking.release(c.record.id);
      await Promise.all([h.networking.release(c.record.id), h.networking.release(c.record.id)]);
      await h.networking.release(randomBytes(32).toString('hex'));
      const again = h.networking.prepare(c);
      await again.ready;
      assert.ok(await h.observe(pathOf(again.network)), 'set up again (a restart)');
      await h.networking.release(c.record.id);
    });

    it('a user-defined network: the address asked for; asking for a taken one is a conflict that leaves nothing', async (h) => {
      const net = await h.createNetwork('conformance-net');
      const want = net.subnet.replace(/\.0\/\d+$/, '.77');
      const first = await prepared(h, {
        networkMode: 'conformance-net',
        endpoints: { 'conformance-net': { IPAMConfig: { IPv4Address: want } } },
      });
      assert.equal(networksOf(h.networking.inspect(first.c))['conformance-net'].IPAddress, want);
      assert.equal(networksOf(h.networking.inspect(first.c))['conformance-net'].Gateway, net.gateway);
      const second = containerOf({
        networkMode: 'conformance-net',
        endpoints: { 'conformance-net': { IPAMConfig: { IPv4Address: want } } },
      });
      await h.add(second);
      let path: string | undefined;
      await rejectsWithKind(
        (async () => {
          const p = h.networking.prepare(second);
          path = pathOf(p.network);
          await p.ready;
        })(),
        'conflict',
        'a taken address',
      );
      if (path) assert.equal(await h.observe(path), undefined, 'no namespace left for the refused one');
      assert.equal(networksOf(h.networking.inspect(second))['conformance-net']?.IPAddress ?? '', '');
      assert.equal(
        (await h.observe(pathOf(first.network)))?.interfaces[0]?.address.split('/')[0],
        want,
        'the first keeps it',
      );
      await h.networking.release(first.c.record.id);
      await h.networking.release(second.record.id);
    });

    it('two networks: one interface each, the default route through the primary one', async (h) => {
      const bridge = await h.defaultBridge();
      const net = await h.createNetwork('conformance-net');
      const { c, network } = await prepared(h, { networkMode: 'bridge', endpoints: { 'conformance-net': {} } });
      const ns = await h.observe(pathOf(network));
      assert.ok(ns);
      assert.deepEqual(ns.interfaces.map((i) => i.name).sort(), ['eth0', 'eth1']);
      const byName = Object.fromEntries(ns.interfaces.map((i) => [i.name, i.address.split('/')[0]]));
      assert.ok(inSubnet(byName.eth0, bridge.subnet), `eth0 ${byName.eth0} on the bridge`);
      assert.ok(inSubnet(byName.eth1, net.subnet), `eth1 ${byName.eth1} on the other network`);
      assert.equal(ns.gateway, bridge.gateway);
      const nets = networksOf(h.networking.inspect(c));
      assert.equal(nets.bridge.IPAddress, byName.eth0);
      assert.equal(nets['conformance-net'].IPAddress, byName.eth1);
      await h.networking.release(c.record.id);
      assert.equal(await h.observe(pathOf(network)), undefined);
    });

    it('a network that does not exist is not-found, and nothing is left', async (h) => {
      const c = containerOf({ networkMode: 'no-such-network' });
      await h.add(c);
      let path: string | undefined;
      await rejectsWithKind(
        (async () => {
          const p = h.networking.prepare(c);
          path = typeof p.network === 'object' ? p.network.path : undefined;
          await p.ready;
        })(),
        'not-found',
        'an unknown network',
      );
      if (path) assert.equal(await h.observe(path), undefined);
      await h.networking.release(c.record.id);
    });

    it("container:<other> joins the other's namespace; a stopped other is a conflict", async (h) => {
      const other = await prepared(h);
      const joiner = containerOf({ networkMode: `container:${other.c.record.id}` });
      await h.add(joiner);
      const p = h.networking.prepare(joiner);
      await p.ready;
      assert.deepEqual(p.network, other.network);
      await h.networking.release(joiner.record.id);
      assert.ok(await h.observe(pathOf(other.network)), "the joiner's release leaves the other's namespace");
      const stopped = containerOf();
      await h.add(stopped);
      const late = containerOf({ networkMode: `container:${stopped.record.id}` });
      await h.add(late);
      await rejectsWithKind(
        (async () => h.networking.prepare(late).ready)(),
        'conflict',
        'joining a stopped container',
      );
      await h.networking.release(other.c.record.id);
    });

    it('published ports: one host port per binding, shown by inspect and summary; a taken one is a conflict', async (h) => {
      const { c } = await prepared(h, { portBindings: { '80/tcp': [{ HostPort: '' }] } });
      const bound = h.networking.inspect(c).Ports?.['80/tcp'];
      // One host port; as with Docker it may be listed for [::] as well as 0.0.0.0, the same port.
      const port = bound?.[0]?.HostPort ?? '';
      assert.ok(Number(port) > 0 && bound!.every((b) => b.HostPort === port), JSON.stringify(bound));
      const ips = bound!.map((b) => b.HostIp).sort();
      assert.ok(['0.0.0.0', '0.0.0.0,::'].includes(ips.join()), JSON.stringify(bound));
      const listed = h.networking.summary(c).Ports;
      assert.ok(listed.some((p) => p.PrivatePort === 80 && p.PublicPort === Number(port) && p.Type === 'tcp'));
      const clash = containerOf({ portBindings: { '81/tcp': [{ HostPort: port }] } });
      await h.add(clash);
      await rejectsWithKind((async () => h.networking.prepare(clash).ready)(), 'conflict', 'a host port in use');
      await h.networking.release(clash.record.id);
      await h.networking.release(c.record.id);
      const reuse = await prepared(h, { portBindings: { '81/tcp': [{ HostPort: port }] } });
      assert.equal(h.networking.inspect(reuse.c).Ports?.['81/tcp']?.[0]?.HostPort, port, 'free again once released');
      await h.networking.release(reuse.c.record.id);
    });

    it('after a crash: what belongs to no live task is released at start-up, the rest is kept', async (h) => {
      const gone = await prepared(h);
      const kept = await prepared(h);
      const keptIp = h.networking.inspect(kept.c).IPAddress;
      const stray = await h.strayNamespace();
      const net = await h.restart([kept.c.record.id]);
      assert.equal(await h.observe(pathOf(gone.network)), undefined, "a stopped task's namespace is gone");
      assert.equal(net.inspect(gone.c).IPAddress, '', 'and its address is released');
      assert.equal(await h.observe(stray), undefined, 'a namespace on no record is gone');
      const ns = await h.observe(pathOf(kept.network));
      assert.equal(ns?.interfaces[0]?.address.split('/')[0], keptIp, "a live task's namespace is kept");
      assert.equal(net.inspect(kept.c).IPAddress, keptIp);
      const next = await prepared(h);
      assert.notEqual(net.inspect(next.c).IPAddress, keptIp, 'a kept address is not handed out again');
      await net.release(gone.c.record.id);
      await net.release(kept.c.record.id);
      await net.release(next.c.record.id);
    });
  });
}
