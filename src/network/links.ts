// The kernel side of bridge networking: bridges through iproute2 (rare), network
// namespaces under /run/netns and veth pairs with one end in a namespace through
// rtnetlink (`sys/netns.ts`, no process on a container's start or stop).
// `setup(netnsPath, attachments)` knows nothing about containers.
import { randomBytes } from 'node:crypto';
import { access, rm, writeFile } from 'node:fs/promises';
import { run } from '../sys/exec.ts';
import { MNT_DETACH, umount2 } from '../sys/libc.ts';
import { netlink, warmNetlink, type NetOp } from '../sys/netns.ts';

const IP = '/usr/sbin/ip';
export const NETNS_DIR = '/run/netns';

async function batch(lines: string[], netns?: string, allowFail = false): Promise<string> {
  if (lines.length === 0) return '';
  const args = [...(netns ? ['-n', netns] : []), ...(allowFail ? ['-force'] : []), '-batch', '-'];
  const r = await run(IP, args, { input: lines.join('\n') + '\n', allowFail, timeoutMs: 10_000 });
  return r.stderr.toString();
}

const sysctl = (key: string, value: string) => writeFile(`/proc/sys/${key}`, value);

/**
 * Creates the bridge with its gateway addresses if missing; idempotent. IPv6 is on for the
 * bridge exactly when the network has an IPv6 subnet (no link-local address otherwise),
 * and router advertisements are never accepted on it (CVE-2020-13401).
 */
export async function ensureBridge(name: string, cidr: string, mtu: number, cidr6?: string): Promise<void> {
  const have = await run(IP, ['-o', 'addr', 'show', 'dev', name], { allowFail: true });
  if (have.code !== 0) await batch([`link add ${name} type bridge`]);
  await sysctl(`net/ipv6/conf/${name}/accept_ra`, '0').catch(() => {});
  await sysctl(`net/ipv6/conf/${name}/disable_ipv6`, cidr6 ? '0' : '1');
  const lines = [`link set ${name} mtu ${mtu} up`];
  const text = have.stdout.toString();
  if (!text.includes(` ${cidr} `)) lines.unshift(`addr add ${cidr} dev ${name}`);
  if (cidr6 && !text.includes(` ${cidr6} `)) lines.unshift(`addr add ${cidr6} dev ${name} nodad`);
  await batch(lines);
  // DNAT'd connections from 127.0.0.1 must be routable out of the bridge (hairpin).
  await sysctl(`net/ipv4/conf/${name}/route_localnet`, '1').catch(() => {});
}

/**
 * The parent link of a macvlan/ipvlan network. An existing link is used as it is; a
 * `base.VID` name whose base exists becomes an 802.1Q link (as Docker makes it); no
 * parent at all gets a dummy link (the network is then internal) — or, on a kernel
 * without dummy links, one end of a veth pair (also always up, also going nowhere).
 * Returns what was made.
 */
export async function ensureParent(
  name: string,
  make: 'dummy' | 'vlan' | undefined,
): Promise<'dummy' | 'vlan' | undefined> {
  // Asked of iproute2, not /sys: /sys shows the links of the namespace it was mounted in.
  const exists = async (n: string) => (await run(IP, ['-o', 'link', 'show', 'dev', n], { allowFail: true })).code === 0;
  if (await exists(name)) {
    await batch([`link set ${name} up`]);
    return undefined;
  }
  if (make === 'dummy') {
    const dummy = await run(IP, ['link', 'add', name, 'type', 'dummy'], { allowFail: true });
    if (dummy.code !== 0) {
      const peer = `dp-${name.slice(3)}`.slice(0, 15);
      await batch([`link add ${name} type veth peer name ${peer}`, `link set ${peer} up`]);
    }
    await batch([`link set ${name} up`]);
    return 'dummy';
  }
  const vlan = /^(.+)\.(\d{1,4})$/.exec(name);
  if (!vlan || !(await exists(vlan[1]))) throw new Error(`the parent interface ${name} was not found on the host`);
  const r = await run(IP, ['link', 'add', 'link', vlan[1], 'name', name, 'type', 'vlan', 'id', vlan[2]], {
    allowFail: true,
  });
  if (r.code !== 0)
    throw new Error(
      `cannot make the 802.1Q VLAN link ${name} on ${vlan[1]}: ${r.stderr.toString().trim()}${/Unknown device type/.test(r.stderr.toString()) ? ' (this kernel has no 802.1Q support)' : ''}`,
    );
  await batch([`link set ${name} up`]);
  return 'vlan';
}

/**
 * Whether this kernel can make a macvlan/ipvlan link on `parent`: a throw-away link is
 * made and deleted at once. Returns the kernel's refusal, or undefined.
 */
export async function probeSubLink(kind: 'macvlan' | 'ipvlan', parent: string): Promise<string | undefined> {
  const name = `bp${randomBytes(4).toString('hex')}`;
  const r = await run(IP, ['link', 'add', 'link', parent, 'name', name, 'type', kind], { allowFail: true });
  if (r.code === 0) {
    await batch([`link del ${name}`], undefined, true);
    return undefined;
  }
  const text = r.stderr.toString().trim();
  return /Unknown device type/.test(text) ? `this kernel has no ${kind} support` : text;
}

export async function deleteBridge(name: string): Promise<void> {
  await batch([`link del ${name}`], undefined, true);
}

/** Deletes a host link we made (a dummy or VLAN parent); a missing one is fine. */
export const deleteLink = deleteBridge;

/** What a host link is ('bridge', 'dummy', 'vlan'…, '' for a plain device), undefined if none. */
export async function linkKind(name: string): Promise<string | undefined> {
  const r = await run(IP, ['-d', '-j', 'link', 'show', 'dev', name], { allowFail: true });
  if (r.code !== 0) return undefined;
  const [l] = JSON.parse(r.stdout.toString() || '[]') as { linkinfo?: { info_kind?: string } }[];
  return l ? (l.linkinfo?.info_kind ?? '') : undefined;
}

/** Every route's destination on the host, to pick subnets that clash with nothing. */
export async function hostRoutes(): Promise<string[]> {
  const out: string[] = [];
  for (const f of ['-4', '-6']) {
    const r = await run(IP, ['-o', f, 'route', 'show', 'table', 'all'], { allowFail: true });
    for (const l of r.stdout.toString().split('\n')) {
      const d = l.split(' ')[0];
      // Skip local/broadcast/multicast entries: they name a type, then the address.
      if (/^[\da-f]/.test(d) && (d.includes('.') || d.includes(':'))) out.push(d);
    }
  }
  return out;
}

export type Attachment = {
  /** Name inside the namespace (eth0, eth1…). */
  ifname: string;
  /** `172.18.0.2/16` */
  address: string;
  /** `fd00::2/64` on an IPv6-enabled network; without it IPv6 is disabled on the interface. */
  address6?: string;
  /** Extra addresses with their prefix (IPAMConfig.LinkLocalIPs). */
  linkLocal?: string[];
  /** Absent for an ipvlan (it has its parent's). */
  mac?: string;
  mtu: number;
  /** Set on the attachment that carries the default route ('' for a route with no next hop). */
  gateway?: string;
  gateway6?: string;
  /** Per-interface sysctls, keys relative to /proc/sys with the interface in place (net/ipv4/conf/eth0/...). */
  sysctls?: Record<string, string>;
} & (
  | {
      kind: 'veth';
      bridge: string;
      /** Host end of the veth pair. */
      hostIf: string;
    }
  | { kind: 'macvlan' | 'ipvlan'; parent: string; mode: number; flags?: number }
);

export const netnsPath = (name: string) => `${NETNS_DIR}/${name}`;

export async function createNetns(name: string): Promise<string> {
  await netlink([{ op: 'netns', path: netnsPath(name) }]);
  return netnsPath(name);
}

/**
 * A namespace pinned at `name` with its loopback up (what runc does for a namespace it
 * makes, and CNI's loopback plugin): one batch on the netlink thread.
 */
export async function createNetnsWithLoopback(name: string): Promise<string> {
  const path = netnsPath(name);
  await netlink([
    { op: 'netns', path },
    { op: 'up', ns: path, name: 'lo' },
  ]);
  return path;
}

/**
 * Adds interfaces to a namespace; `lo` comes up with the first one. With `create` the
 * namespace is made in the same batch (or, with `from`, that namespace file is bound there). One netlink batch on the worker thread: each veth
 * is made with its peer already in the namespace with its MAC, the host end up on its bridge.
 */
export async function setup(
  nsPath: string,
  attachments: Attachment[],
  first = true,
  create = false,
  from?: string,
): Promise<void> {
  const ops: NetOp[] = create ? [{ op: 'netns', path: nsPath, ...(from ? { from } : {}) }] : [];
  for (const a of attachments) {
    if (a.kind === 'veth')
      ops.push({
        op: 'veth',
        name: a.hostIf,
        mtu: a.mtu,
        master: a.bridge,
        up: true,
        peer: { name: a.ifname, mtu: a.mtu, mac: a.mac, ns: nsPath },
      });
    else
      ops.push({
        op: 'sublink',
        kind: a.kind,
        name: a.ifname,
        parent: a.parent,
        mtu: a.mtu,
        mode: a.mode,
        flags: a.flags,
        mac: a.mac,
        ns: nsPath,
      });
    // Before the link is up: an interface of an IPv4-only network never gets IPv6 (no
    // link-local address, no multicast groups: CVE-2024-32473).
    const conf = `net/ipv6/conf/${a.ifname}`;
    ops.push({ op: 'sysctl', ns: nsPath, key: `${conf}/disable_ipv6`, value: a.address6 ? '0' : '1' });
    for (const [key, value] of Object.entries(a.sysctls ?? {})) ops.push({ op: 'sysctl', ns: nsPath, key, value });
  }
  if (first) ops.push({ op: 'up', ns: nsPath, name: 'lo' });
  for (const a of attachments) {
    ops.push({ op: 'up', ns: nsPath, name: a.ifname }, { op: 'addr', ns: nsPath, name: a.ifname, cidr: a.address });
    if (a.address6) ops.push({ op: 'addr', ns: nsPath, name: a.ifname, cidr: a.address6, nodad: true });
    for (const cidr of a.linkLocal ?? []) ops.push({ op: 'addr', ns: nsPath, name: a.ifname, cidr, nodad: true });
    if (a.gateway !== undefined)
      ops.push({ op: 'route', ns: nsPath, name: a.ifname, ...(a.gateway ? { gateway: a.gateway } : { family: 4 }) });
    if (a.gateway6 !== undefined)
      ops.push({ op: 'route', ns: nsPath, name: a.ifname, ...(a.gateway6 ? { gateway: a.gateway6 } : { family: 6 }) });
  }
  await netlink(ops);
}

export interface DefaultRoute {
  ifname: string;
  family: 4 | 6;
  /** The next hop; '' for a route straight out of the link (ipvlan L3). */
  gateway: string;
}

/** Moves a live namespace's default routes (or makes them): each family's goes out of its `ifname`. */
export async function setDefaultRoutes(nsPath: string, routes: DefaultRoute[]): Promise<void> {
  await netlink(
    routes.map((r) => ({
      op: 'route',
      ns: nsPath,
      name: r.ifname,
      replace: true,
      ...(r.gateway ? { gateway: r.gateway } : { family: r.family }),
    })),
  );
}

/** Removes one interface from a live namespace (its host peer goes with it). */
export async function detach(nsPath: string, ifname: string): Promise<void> {
  await netlink([{ op: 'del', ns: nsPath, name: ifname, missingOk: true }]);
}

/**
 * Deletes the namespace without a process (what `ip netns del` does: a lazy unmount and
 * an unlink, ~0.2 ms). The kernel then destroys its veths — and so their host ends — on
 * its own, some 20 ms later (an RCU barrier; deleting them over netlink waits for the same
 * barrier and would hold the netlink thread meanwhile). Host ends still there after that
 * (a namespace something else still holds) are deleted explicitly.
 */
export async function teardown(nsPath: string, hostIfs: string[]): Promise<void> {
  try {
    umount2(nsPath, MNT_DETACH);
  } catch {
    /* not mounted: only the file is left, if that */
  }
  await rm(nsPath, { force: true });
  const deadline = Date.now() + 500;
  let left = hostIfs;
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2));
    left = (await Promise.all(left.map(async (h) => ((await linkExists(h)) ? h : '')))).filter(Boolean);
  }
  await deleteLinks(left);
}

const linkExists = (name: string) =>
  access(`/sys/class/net/${name}`).then(
    () => true,
    () => false,
  );

/** Deletes host interfaces (orphaned veth ends); missing ones are fine. */
export async function deleteLinks(names: string[]): Promise<void> {
  await netlink(names.map((name) => ({ op: 'del', name, missingOk: true })));
}

/** Starts the netlink worker ahead of the first container (its start costs tens of ms). */
export const warmLinks = warmNetlink;

export async function listNetns(prefix: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  return (await readdir(NETNS_DIR).catch(() => [] as string[])).filter((n) => n.startsWith(prefix)).map(netnsPath);
}

export async function listLinks(prefix: string): Promise<string[]> {
  const r = await run(IP, ['-o', 'link', 'show'], { allowFail: true });
  return r.stdout
    .toString()
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0])
    .filter((n): n is string => !!n && n.startsWith(prefix));
}
