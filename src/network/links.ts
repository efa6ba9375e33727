// The kernel side of bridge networking: bridges through iproute2 (rare), network
// namespaces under /run/netns and veth pairs with one end in a namespace through
// rtnetlink (`sys/netns.ts`, no process on a container's start or stop).
// `setup(netnsPath, attachments)` knows nothing about containers.
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

/** Creates the bridge with its gateway address if missing; idempotent. */
export async function ensureBridge(name: string, cidr: string, mtu: number): Promise<void> {
  const have = await run(IP, ['-o', 'addr', 'show', 'dev', name], { allowFail: true });
  if (have.code !== 0) await batch([`link add ${name} type bridge`]);
  const lines = [`link set ${name} mtu ${mtu} up`];
  if (!have.stdout.toString().includes(` ${cidr} `)) lines.unshift(`addr add ${cidr} dev ${name}`);
  await batch(lines);
  // DNAT'd connections from 127.0.0.1 must be routable out of the bridge (hairpin).
  await writeFile(`/proc/sys/net/ipv4/conf/${name}/route_localnet`, '1').catch(() => {});
}

export async function deleteBridge(name: string): Promise<void> {
  await batch([`link del ${name}`], undefined, true);
}

/** Every route's destination on the host, to pick subnets that clash with nothing. */
export async function hostRoutes(): Promise<string[]> {
  const r = await run(IP, ['-o', '-4', 'route', 'show', 'table', 'all'], { allowFail: true });
  return r.stdout
    .toString()
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((d) => /^\d/.test(d));
}

export interface Attachment {
  bridge: string;
  /** Host end of the veth pair. */
  hostIf: string;
  /** Name inside the namespace (eth0, eth1…). */
  ifname: string;
  /** `172.18.0.2/16` */
  address: string;
  mac: string;
  mtu: number;
  /** Set on the attachment that carries the default route. */
  gateway?: string;
}

export const netnsPath = (name: string) => `${NETNS_DIR}/${name}`;

export async function createNetns(name: string): Promise<string> {
  await netlink([{ op: 'netns', path: netnsPath(name) }]);
  return netnsPath(name);
}

/**
 * Adds interfaces to a namespace; `lo` comes up with the first one. With `create` the
 * namespace is made in the same batch. One netlink batch on the worker thread: each veth
 * is made with its peer already in the namespace with its MAC, the host end up on its bridge.
 */
export async function setup(nsPath: string, attachments: Attachment[], first = true, create = false): Promise<void> {
  const ops: NetOp[] = create ? [{ op: 'netns', path: nsPath }] : [];
  for (const a of attachments) {
    ops.push({
      op: 'veth',
      name: a.hostIf,
      mtu: a.mtu,
      master: a.bridge,
      up: true,
      peer: { name: a.ifname, mtu: a.mtu, mac: a.mac, ns: nsPath },
    });
  }
  if (first) ops.push({ op: 'up', ns: nsPath, name: 'lo' });
  for (const a of attachments) {
    ops.push({ op: 'up', ns: nsPath, name: a.ifname }, { op: 'addr', ns: nsPath, name: a.ifname, cidr: a.address });
    if (a.gateway) ops.push({ op: 'route', ns: nsPath, name: a.ifname, gateway: a.gateway });
  }
  await netlink(ops);
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
