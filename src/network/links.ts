// The kernel side of bridge networking through iproute2 batches (one process per batch):
// bridges, network namespaces under /run/netns, and veth pairs with one end in a
// namespace. `setup(netnsPath, attachments)` knows nothing about containers.
import { basename } from 'node:path';
import { access, rm, writeFile } from 'node:fs/promises';
import { run } from '../sys/exec.ts';
import { MNT_DETACH, umount2 } from '../sys/libc.ts';

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
  return r.stdout.toString().split('\n').map((l) => l.split(' ')[0]).filter((d) => /^\d/.test(d));
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
  await batch([`netns add ${name}`]);
  return netnsPath(name);
}

/**
 * Adds interfaces to a namespace; `lo` comes up with the first one. With `create` the
 * namespace is made in the same batch (one process fewer on the start path).
 */
export async function setup(nsPath: string, attachments: Attachment[], first = true, create = false): Promise<void> {
  const ns = basename(nsPath);
  const host: string[] = create ? [`netns add ${ns}`] : [];
  const inside: string[] = first ? ['link set lo up'] : [];
  for (const a of attachments) {
    host.push(`link add ${a.hostIf} mtu ${a.mtu} type veth peer name ${a.ifname} mtu ${a.mtu} address ${a.mac} netns ${ns}`);
    host.push(`link set ${a.hostIf} master ${a.bridge} up`);
    inside.push(`addr add ${a.address} dev ${a.ifname}`, `link set ${a.ifname} up`);
    if (a.gateway) inside.push(`route add default via ${a.gateway} dev ${a.ifname}`);
  }
  await batch(host);
  await batch(inside, ns);
}

/** Removes one interface from a live namespace (its host peer goes with it). */
export async function detach(nsPath: string, ifname: string): Promise<void> {
  await batch([`link del ${ifname}`], basename(nsPath), true);
}

/**
 * Deletes the namespace without a process (what `ip netns del` does: a lazy unmount and
 * an unlink, ~0.2 ms instead of an `ip` run). The kernel then destroys its veths — and so
 * their host ends — on its own, some 20 ms later; host ends still there after that
 * (a namespace something else still holds) are deleted explicitly.
 */
export async function teardown(nsPath: string, hostIfs: string[]): Promise<void> {
  try { umount2(nsPath, MNT_DETACH); } catch { /* not mounted: only the file is left, if that */ }
  await rm(nsPath, { force: true });
  const deadline = Date.now() + 500;
  let left = hostIfs;
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2));
    left = (await Promise.all(left.map(async (h) => (await linkExists(h) ? h : '')))).filter(Boolean);
  }
  await deleteLinks(left);
}

const linkExists = (name: string) => access(`/sys/class/net/${name}`).then(() => true, () => false);

/** Deletes host interfaces (orphaned veth ends); missing ones are fine. */
export async function deleteLinks(names: string[]): Promise<void> {
  await batch(names.map((h) => `link del ${h}`), undefined, true);
}

export async function listNetns(prefix: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  return (await readdir(NETNS_DIR).catch(() => [] as string[])).filter((n) => n.startsWith(prefix)).map(netnsPath);
}

export async function listLinks(prefix: string): Promise<string[]> {
  const r = await run(IP, ['-o', 'link', 'show'], { allowFail: true });
  return r.stdout.toString().split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).filter((n): n is string => !!n && n.startsWith(prefix));
}
