// POST /networks/create and the built-in networks made at start-up: IPAM per family with
// Docker's messages (a free pool when no subnet is given, never one that overlaps a host
// route or another network; IPv6 from the daemon's v6 pools, else a ULA /64 derived from
// the engine ID), then the bridge or the macvlan/ipvlan parent, then the record.
import { randomBytes } from 'node:crypto';
import { conflict, forbidden, invalidArgument, notImplemented } from '../../common/errors.ts';
import {
  canonical,
  cidrOf,
  contains,
  formatAddr,
  formatCidr,
  nth,
  overlaps,
  parseAddr,
  parseCidr,
  size,
  ulaBase,
  type Cidr,
  type Family,
} from '../../network/cidr.ts';
import {
  deleteBridge,
  deleteLink,
  ensureBridge,
  ensureParent,
  hostRoutes,
  linkKind,
  probeSubLink,
} from '../../network/links.ts';
import type { IpamRecord, NetworkRecord } from '../../network/store.ts';
import type { NetworkDeps } from './deps.ts';
import type { NetworkCreateRequest, NetworkCreateResponse } from '../../api/types/networks.ts';
import { boolOption, readNetworkSpec, type IpamConfigSpec, type NetworkSpec } from './create-spec.ts';

const newId = () => randomBytes(32).toString('hex');

/** Subnets of one family already in use: host routes and our networks. */
async function takenSubnets(deps: NetworkDeps, family: Family): Promise<Cidr[]> {
  const routes = (await hostRoutes())
    .map((r) => {
      try {
        return parseCidr(r.includes('/') ? r : `${r}/${r.includes(':') ? 128 : 32}`);
      } catch {
        return undefined;
      }
    })
    .filter((s): s is Cidr => !!s && s.prefix > 0 && s.family === family);
  // Link-local routes (fe80::/64 on every interface) are no one's subnet.
  const ll = parseCidr('fe80::/10');
  return [...routes.filter((r) => !overlaps(r, ll)), ...ourSubnets(deps, family)];
}

function ourSubnets(deps: NetworkDeps, family: Family, except?: string): Cidr[] {
  return deps.store
    .networks()
    .filter((n) => n.id !== except)
    .flatMap((n) => [n.ipam, n.ipam6])
    .filter((i): i is IpamRecord => !!i)
    .map((i) => parseCidr(i.subnet))
    .filter((c) => c.family === family);
}

/** The next free subnet of a family from the address pools (Docker's default-address-pools). */
async function pickSubnet(deps: NetworkDeps, family: Family): Promise<Cidr> {
  const taken = await takenSubnets(deps, family);
  const pools = deps.settings.pools
    .map((p) => ({ base: parseCidr(p.base, 'default-address-pools base'), size: p.size }))
    .filter((p) => p.base.family === family);
  // No IPv6 pool configured: /64s of a ULA /48 derived from the engine ID (as Docker does).
  if (family === 6 && !pools.length) pools.push({ base: ulaBase(deps.settings.ulaSeed), size: 64 });
  for (const p of pools) {
    const step = 1n << BigInt((family === 4 ? 32 : 128) - p.size);
    // Bounded: each candidate skipped overlaps something taken.
    let tries = taken.length + 1;
    for (let s = p.base.base; contains(p.base, { family, value: s }) && tries > 0; s += step) {
      const cand: Cidr = { family, base: s, prefix: p.size };
      const clash = taken.find((t) => overlaps(t, cand));
      if (!clash) return cand;
      // Jump past a larger clashing subnet at once.
      if (clash.prefix < cand.prefix) s = clash.base + size(clash) - step;
      tries--;
    }
  }
  throw invalidArgument(
    `could not find an available, non-overlapping IPv${family} address pool among the defaults to assign to the network`,
  );
}

/** One family's IPAM record: the given subnet checked, or one picked; gateway, range, aux. */
async function ipamRecord(
  deps: NetworkDeps,
  family: Family,
  spec: IpamConfigSpec | undefined,
  id: string,
): Promise<IpamRecord> {
  let subnet: Cidr;
  if (spec?.subnet) {
    subnet = parseCidr(spec.subnet);
    if (subnet.family !== family) throw invalidArgument(`invalid subnet ${spec.subnet}`);
    if (ourSubnets(deps, family, id).some((m) => overlaps(m, subnet)))
      throw forbidden('invalid pool request: Pool overlaps with other one on this address space');
  } else {
    subnet = await pickSubnet(deps, family);
  }
  const within = (what: string, s: string) => {
    const a = parseAddr(s);
    if (!a || a.family !== family) throw invalidArgument(`invalid ${what} address ${s}`);
    if (!contains(subnet, a)) throw invalidArgument(`no matching subnet for ${what} ${s}`);
    return formatAddr(a);
  };
  const gateway = spec?.gateway ? within('gateway', spec.gateway) : formatAddr(nth(subnet, 1n));
  const rec: IpamRecord = { subnet: formatCidr(subnet), gateway };
  if (spec?.ipRange) {
    const r = parseCidr(spec.ipRange, 'ip-range');
    if (r.family !== family || !contains(subnet, { family, value: r.base }) || r.prefix < subnet.prefix)
      throw invalidArgument(`no matching subnet for range ${spec.ipRange}`);
    rec.ipRange = formatCidr(r);
  }
  if (spec?.aux) {
    rec.aux = {};
    for (const [k, v] of Object.entries(spec.aux)) {
      const a = parseAddr(v);
      if (!a || a.family !== family || !contains(subnet, a))
        throw invalidArgument(`auxiliary address: (${k}:${v}) must belong to the master pool: ${formatCidr(subnet)}`);
      rec.aux[k] = formatAddr(a);
    }
  }
  return rec;
}

/** Makes a network (bridge, macvlan or ipvlan) and records it; undoes what it made on failure. */
export async function addNetwork(deps: NetworkDeps, spec: NetworkSpec, id = newId()): Promise<NetworkRecord> {
  const opts = spec.options ?? {};
  const mtuIn = opts['com.docker.network.driver.mtu'];
  const mtu = Number(mtuIn ?? deps.settings.mtu);
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw invalidArgument(`invalid MTU: ${mtuIn}`);
  const ipam = await ipamRecord(deps, 4, spec.v4, id);
  const ipam6 = spec.enableIPv6 ? await ipamRecord(deps, 6, spec.v6, id) : undefined;
  const rec: NetworkRecord = {
    schema: 1,
    id,
    name: spec.name,
    driver: spec.driver,
    created: new Date().toISOString(),
    internal: Boolean(spec.internal),
    attachable: Boolean(spec.attachable),
    labels: spec.labels ?? {},
    options: opts,
    ipam,
    ...(ipam6 ? { ipam6, enableIPv6: true } : {}),
    ...(spec.ipamOptions && Object.keys(spec.ipamOptions).length ? { ipamOptions: spec.ipamOptions } : {}),
    mtu,
    ...(spec.builtin ? { builtin: true } : {}),
  };
  const undo: (() => Promise<void>)[] = [];
  try {
    if (spec.driver === 'bridge') await setUpBridge(deps, rec, spec, undo);
    else await setUpParent(deps, rec, undo);
    await deps.store.putNetwork(rec);
  } catch (err) {
    for (const u of undo.reverse()) await u().catch(() => {});
    throw err;
  }
  return rec;
}

async function setUpBridge(
  deps: NetworkDeps,
  rec: NetworkRecord,
  spec: NetworkSpec,
  undo: (() => Promise<void>)[],
): Promise<void> {
  const opts = rec.options;
  // The daemon's --icc is the default bridge's (passed as this option); a user network
  // keeps ICC on unless its own option turns it off, as Docker does.
  rec.icc = boolOption(opts, 'com.docker.network.bridge.enable_icc') ?? true;
  const masq = boolOption(opts, 'com.docker.network.bridge.enable_ip_masquerade') ?? true;
  // NAT66 is off unless the IPv6 gateway mode asks for it (containers keep their addresses).
  rec.masquerade = {
    v4: masq && opts['com.docker.network.bridge.gateway_mode_ipv4'] !== 'routed',
    v6: masq && opts['com.docker.network.bridge.gateway_mode_ipv6'] === 'nat',
  };
  const bridge = spec.bridge ?? opts['com.docker.network.bridge.name'] ?? `br-${rec.id.slice(0, 12)}`;
  if (bridge.length > 15 || !/^[\w.-]+$/.test(bridge)) throw invalidArgument(`invalid bridge name: ${bridge}`);
  const owner = deps.store.networks().find((n) => n.bridge === bridge && n.id !== rec.id);
  if (owner) throw conflict(`bridge ${bridge} is already used by network ${owner.name}`);
  const kind = await linkKind(bridge);
  if (kind !== undefined && kind !== 'bridge')
    throw conflict(
      `cannot use ${bridge} as the network's bridge: a ${kind || 'non-bridge'} interface of that name exists`,
    );
  rec.bridge = bridge;
  const prefix = rec.ipam!.subnet.split('/')[1];
  const v6 = rec.ipam6 ? `${rec.ipam6.gateway}/${rec.ipam6.subnet.split('/')[1]}` : undefined;
  if (kind === undefined) undo.push(() => deleteBridge(bridge));
  await ensureBridge(bridge, `${rec.ipam!.gateway}/${prefix}`, rec.mtu!, v6);
}

async function setUpParent(deps: NetworkDeps, rec: NetworkRecord, undo: (() => Promise<void>)[]): Promise<void> {
  const opts = rec.options;
  const given = opts.parent;
  if (given !== undefined && !/^[\w.-]{1,15}$/.test(given)) throw invalidArgument(`invalid parent interface ${given}`);
  // No parent: a dummy link of our own, and the network is internal (nothing reaches out).
  const parent = given || `dm-${rec.id.slice(0, 12)}`;
  const user = deps.store
    .networks()
    .find((n) => n.parent === parent && (n.driver === 'macvlan' || n.driver === 'ipvlan'));
  if (user) throw forbidden(`network ${user.name} is already using parent interface ${parent}`);
  const made = await ensureParent(parent, given ? undefined : 'dummy').catch((err: Error) => {
    throw invalidArgument(err.message);
  });
  if (made) undo.push(() => deleteLink(parent));
  const refused = await probeSubLink(rec.driver as 'macvlan' | 'ipvlan', parent);
  if (refused) throw notImplemented(`the ${rec.driver} driver cannot be used here: ${refused}`);
  rec.parent = parent;
  if (made) rec.parentMade = made;
  if (!given) rec.internal = true;
  if (rec.driver === 'macvlan') rec.mode = opts.macvlan_mode ?? 'bridge';
  else {
    rec.mode = opts.ipvlan_mode ?? 'l2';
    rec.ipvlanFlag = opts.ipvlan_flag ?? 'bridge';
  }
}

export async function createNetwork(deps: NetworkDeps, body: NetworkCreateRequest): Promise<NetworkCreateResponse> {
  const spec = readNetworkSpec(body);
  if (
    ['bridge', 'host', 'none', 'default'].includes(spec.name) &&
    (spec.name === 'default' || deps.store.tryResolve(spec.name)?.builtin)
  )
    throw forbidden(`${spec.name} is a pre-defined network and cannot be created`);
  return deps.locks.run('network:create', async () => {
    if (deps.store.networks().some((n) => n.name === spec.name))
      throw conflict(`network with name ${spec.name} already exists`);
    const rec = await addNetwork(deps, spec);
    await deps.syncFirewall();
    deps.events.publish('network', 'create', rec.id, { name: rec.name, type: rec.driver });
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
  const want6 = s.fixedCidrV6 ? formatCidr(parseCidr(s.fixedCidrV6, 'fixed-cidr-v6')) : undefined;
  if (want6 && !s.ipv6) throw invalidArgument('fixed-cidr-v6 needs ipv6 enabled (--ipv6)');
  if (
    existing &&
    existing.bridge === s.bridge &&
    (!wantBip || (existing.ipam?.subnet === wantBip.subnet && existing.ipam.gateway === wantBip.gateway)) &&
    Boolean(existing.ipam6) === s.ipv6 &&
    (!want6 || existing.ipam6?.subnet === want6)
  ) {
    const v6 = existing.ipam6 ? `${existing.ipam6.gateway}/${existing.ipam6.subnet.split('/')[1]}` : undefined;
    await ensureBridge(
      existing.bridge,
      `${existing.ipam!.gateway}/${existing.ipam!.subnet.split('/')[1]}`,
      existing.mtu ?? s.mtu,
      v6,
    );
    return;
  }
  if (existing) await deps.store.deleteNetwork(existing.id);
  await addNetwork(
    deps,
    {
      name: 'bridge',
      driver: 'bridge',
      bridge: s.bridge,
      builtin: true,
      v4: wantBip,
      enableIPv6: s.ipv6,
      v6: want6 ? { subnet: want6 } : undefined,
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
  const slash = bip.indexOf('/');
  const g = parseAddr(bip.slice(0, slash));
  const prefix = Number(bip.slice(slash + 1));
  if (slash < 0 || !g || g.family !== 4 || !(prefix > 0 && prefix < 31)) throw invalidArgument(`invalid bip: ${bip}`);
  return { subnet: formatCidr(cidrOf(g, prefix)), gateway: canonical(bip.slice(0, slash))! };
}
