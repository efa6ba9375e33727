// POST /networks/create and the built-in networks made at start-up: validate the IPAM
// request with Docker's messages, pick a free pool when no subnet is given (never one
// that overlaps a host route or another network), create the bridge, persist.
import { randomBytes } from 'node:crypto';
import { conflict, forbidden, invalidArgument, notImplemented } from '../../common/errors.ts';
import {
  contains,
  formatIp,
  formatSubnet,
  nth,
  overlaps,
  parseIp,
  parseSubnet,
  type Subnet,
} from '../../network/ipv4.ts';
import { ensureBridge, hostRoutes } from '../../network/links.ts';
import type { NetworkRecord } from '../../network/store.ts';
import type { NetworkDeps } from './deps.ts';
import type { NetworkCreateRequest, NetworkCreateResponse } from '../../api/types/networks.ts';

const newId = () => randomBytes(32).toString('hex');

async function takenSubnets(deps: NetworkDeps): Promise<Subnet[]> {
  const routes = (await hostRoutes())
    .filter((r) => r !== 'default')
    .map((r) => {
      try {
        return parseSubnet(r.includes('/') ? r : `${r}/32`);
      } catch {
        return undefined;
      }
    })
    .filter((s): s is Subnet => !!s && s.prefix > 0);
  const ours = deps.store
    .networks()
    .filter((n) => n.ipam)
    .map((n) => parseSubnet(n.ipam!.subnet));
  return [...routes, ...ours];
}

/** The next free subnet from the address pools (Docker's default-address-pools). */
async function pickSubnet(deps: NetworkDeps): Promise<Subnet> {
  const taken = await takenSubnets(deps);
  for (const p of deps.settings.pools) {
    const base = parseSubnet(p.base);
    for (let s = base.base; contains(base, s); s = (s + 2 ** (32 - p.size)) >>> 0) {
      const cand = { base: s, prefix: p.size };
      if (!taken.some((t) => overlaps(t, cand))) return cand;
      if (p.size === 0) break;
    }
  }
  throw invalidArgument(
    'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
  );
}

export interface NetworkSpec {
  name: string;
  driver?: string;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  bridge?: string;
  builtin?: boolean;
}

export async function addBridgeNetwork(deps: NetworkDeps, spec: NetworkSpec, id = newId()): Promise<NetworkRecord> {
  let subnet: Subnet;
  if (spec.subnet) {
    subnet = parseSubnet(spec.subnet);
    const mine = deps.store
      .networks()
      .filter((n) => n.ipam)
      .map((n) => parseSubnet(n.ipam!.subnet));
    if (mine.some((m) => overlaps(m, subnet)))
      throw forbidden('invalid pool request: Pool overlaps with other one on this address space');
  } else {
    subnet = await pickSubnet(deps);
  }
  let gateway = nth(subnet, 1);
  if (spec.gateway) {
    const g = parseIp(spec.gateway);
    if (g === undefined) throw invalidArgument(`invalid gateway address ${spec.gateway}`);
    if (!contains(subnet, g)) throw invalidArgument(`no matching subnet for gateway ${spec.gateway}`);
    gateway = g;
  }
  if (spec.ipRange) {
    const r = parseSubnet(spec.ipRange, 'ip-range');
    if (!contains(subnet, r.base) || r.prefix < subnet.prefix)
      throw invalidArgument(`no matching subnet for range ${spec.ipRange}`);
  }
  const opts = spec.options ?? {};
  const mtu = Number(opts['com.docker.network.driver.mtu'] ?? deps.settings.mtu);
  if (!Number.isInteger(mtu) || mtu < 68)
    throw invalidArgument(`invalid MTU: ${opts['com.docker.network.driver.mtu']}`);
  // The daemon's --icc is the default bridge's (passed as this option); a user network
  // keeps ICC on unless its own option turns it off, as Docker does.
  const icc = (opts['com.docker.network.bridge.enable_icc'] ?? 'true') !== 'false';
  const bridge = spec.bridge ?? opts['com.docker.network.bridge.name'] ?? `br-${id.slice(0, 12)}`;
  if (bridge.length > 15 || !/^[\w.-]+$/.test(bridge)) throw invalidArgument(`invalid bridge name: ${bridge}`);
  const rec: NetworkRecord = {
    schema: 1,
    id,
    name: spec.name,
    driver: 'bridge',
    created: new Date().toISOString(),
    internal: Boolean(spec.internal),
    attachable: Boolean(spec.attachable),
    labels: spec.labels ?? {},
    options: opts,
    ipam: {
      subnet: formatSubnet(subnet),
      gateway: formatIp(gateway),
      ...(spec.ipRange ? { ipRange: spec.ipRange } : {}),
    },
    bridge,
    mtu,
    icc,
    ...(spec.builtin ? { builtin: true } : {}),
  };
  await ensureBridge(bridge, `${formatIp(gateway)}/${subnet.prefix}`, mtu);
  await deps.store.putNetwork(rec);
  return rec;
}

export async function createNetwork(deps: NetworkDeps, body: NetworkCreateRequest): Promise<NetworkCreateResponse> {
  const name = body.Name;
  if (!name) throw invalidArgument('network name must not be empty');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw invalidArgument(`invalid network name "${name}"`);
  const driver = body.Driver || 'bridge';
  if (['bridge', 'host', 'none'].includes(name) && deps.store.tryResolve(name)?.builtin) {
    throw forbidden(`${name} is a pre-defined network and cannot be created`);
  }
  if (driver !== 'bridge') throw notImplemented(`plugin "${driver}" not found`);
  return deps.locks.run('network:create', async () => {
    if (deps.store.networks().some((n) => n.name === name)) throw conflict(`network with name ${name} already exists`);
    const cfgs = body.IPAM?.Config ?? [];
    const v4 = cfgs.filter((c) => !(c.Subnet ?? '').includes(':'));
    if (v4.length > 1) throw notImplemented('only one IPv4 subnet per network is supported');
    const c = v4[0] ?? {};
    if (!c.Subnet && (c.Gateway || c.IPRange))
      throw invalidArgument('invalid network config: a subnet is needed for a gateway or ip-range');
    const rec = await addBridgeNetwork(deps, {
      name,
      internal: body.Internal ?? false,
      attachable: body.Attachable ?? false,
      labels: body.Labels ?? {},
      options: body.Options ?? {},
      subnet: c.Subnet,
      gateway: c.Gateway,
      ipRange: c.IPRange,
    });
    await deps.syncFirewall();
    deps.events.publish('network', 'create', rec.id, { name, type: 'bridge' });
    return { Id: rec.id, Warning: '' };
  });
}

/** bridge (the default bridge), host and none, made once; the bridge re-created if gone. */
export async function ensureBuiltins(deps: NetworkDeps): Promise<void> {
  const s = deps.settings;
  for (const [name, driver] of [
    ['host', 'host'],
    ['none', 'null'],
  ] as const) {
    if (!deps.store.networks().some((n) => n.name === name)) {
      await deps.store.putNetwork({
        schema: 1,
        id: newId(),
        name,
        driver,
        created: new Date().toISOString(),
        internal: false,
        attachable: false,
        labels: {},
        options: {},
        builtin: true,
      });
    }
  }
  // `--bridge none` (Docker's -b none): no default bridge; containers default to no network.
  if (s.bridge === 'none') return;
  const existing = deps.store.networks().find((n) => n.name === 'bridge');
  const wantBip = s.bip ? parseBip(s.bip) : undefined;
  if (
    existing &&
    existing.bridge === s.bridge &&
    (!wantBip || (existing.ipam?.subnet === wantBip.subnet && existing.ipam.gateway === wantBip.gateway))
  ) {
    await ensureBridge(
      existing.bridge,
      `${existing.ipam!.gateway}/${existing.ipam!.subnet.split('/')[1]}`,
      existing.mtu ?? s.mtu,
    );
    return;
  }
  if (existing) await deps.store.deleteNetwork(existing.id);
  await addBridgeNetwork(
    deps,
    {
      name: 'bridge',
      bridge: s.bridge,
      builtin: true,
      subnet: wantBip?.subnet,
      gateway: wantBip?.gateway,
      options: {
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_icc': String(s.icc),
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
        'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        'com.docker.network.bridge.name': s.bridge,
        'com.docker.network.driver.mtu': String(s.mtu),
      },
    },
    existing?.id,
  );
}

/** `--bip 172.17.0.1/16` → the subnet and gateway. */
function parseBip(bip: string): { subnet: string; gateway: string } {
  const [ip, p] = bip.split('/');
  const g = parseIp(ip);
  const prefix = Number(p);
  if (g === undefined || !(prefix > 0 && prefix < 31)) throw invalidArgument(`invalid bip: ${bip}`);
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return { subnet: formatSubnet({ base: (g & mask) >>> 0, prefix }), gateway: ip };
}
