// The built-in `local` driver: a volume is the directory `<data-root>/volumes/<name>/_data`
// (kept by VolumeStore), or, with `type`/`device`/`o` options, whatever those mount there.
// Mounts are counted per reference: the first mount(ref) mounts, the last unmount(ref)
// unmounts. Mounting goes through an fd of `_data` opened without following symlinks, so a
// `_data` replaced by a link (to `/`, say) is refused, never mounted over or handed out.
import { lstatSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { internal, invalidArgument, messageOf } from '../common/errors.ts';
import {
  closeFd,
  mount,
  MNT_DETACH,
  MS_BIND,
  MS_RDONLY,
  MS_REMOUNT,
  O_DIRECTORY,
  O_PATH,
  umount2,
} from '../sys/libc.ts';
import { fdPath, openNoFollow, openRoot } from '../sys/inroot.ts';
import { isMounted } from '../sys/mountinfo.ts';
import type { DriverVolume, VolumeDriver, VolumeScope } from './driver.ts';
import { localMount, maskPassword, needsMount, validateLocalOptions } from './local-options.ts';
import { LOCAL_DRIVER } from './record.ts';
import { DATA_DIR, type VolumeStore } from './store.ts';

interface Active {
  refs: Set<string>;
  mounted: boolean;
}

export class LocalDriver implements VolumeDriver {
  readonly name = LOCAL_DRIVER;
  private readonly store: VolumeStore;
  private readonly active = new Map<string, Active>();

  constructor(store: VolumeStore) {
    this.store = store;
  }

  async scope(): Promise<VolumeScope> {
    return 'local';
  }

  /** The store makes the directories; the driver only checks its options. */
  async create(_name: string, opts: Record<string, string> | null): Promise<void> {
    validateLocalOptions(opts);
  }

  async remove(name: string, opts: { background?: boolean } = {}): Promise<void> {
    const a = this.active.get(name);
    if (a && a.refs.size > 0) throw internal('volume has active mounts');
    this.active.delete(name);
    await this.store.remove(name, opts);
  }

  /** After a restart: a `_data` that is still mounted counts as mounted, with no references yet. */
  noteMounted(name: string): void {
    const r = this.store.get(name);
    if (!r || !needsMount(r.options)) return;
    if (isMounted(this.store.dataPath(name))) this.activeOf(name).mounted = true;
  }

  /** After a restart: a running container that uses the volume takes its reference back. */
  liveRestore(name: string, ref: string): void {
    const r = this.store.get(name);
    if (!r || !needsMount(r.options)) return;
    const a = this.activeOf(name);
    a.refs.add(ref);
    a.mounted = true;
  }

  /** Unmounts mounted volumes nobody references (left mounted by a berthd that died). */
  unmountIdle(): string[] {
    const done: string[] = [];
    for (const [name, a] of this.active) {
      if (a.refs.size > 0 || !a.mounted) continue;
      this.unmountData(name);
      a.mounted = false;
      done.push(name);
    }
    return done;
  }

  async mount(name: string, ref: string): Promise<string> {
    const r = this.store.get(name);
    if (!r) throw internal(`volume ${name} has no record`);
    const path = this.store.dataPath(name);
    if (!needsMount(r.options)) {
      checkDataDir(path);
      return path;
    }
    const a = this.activeOf(name);
    if (!a.mounted) {
      await this.mountData(name, r.options!);
      a.mounted = true;
    }
    a.refs.add(ref);
    return path;
  }

  async unmount(name: string, ref: string): Promise<void> {
    const a = this.active.get(name);
    if (!a) return;
    a.refs.delete(ref);
    if (a.refs.size > 0 || !a.mounted) return;
    this.unmountData(name);
    a.mounted = false;
  }

  async get(name: string): Promise<DriverVolume | undefined> {
    const r = this.store.get(name);
    return r && r.driver === LOCAL_DRIVER ? { name, mountpoint: this.store.dataPath(name) } : undefined;
  }

  async list(): Promise<DriverVolume[]> {
    return this.store
      .list()
      .filter((r) => r.driver === LOCAL_DRIVER)
      .map((r) => ({ name: r.name, mountpoint: this.store.dataPath(r.name) }));
  }

  /** References holding a mounted volume (for reports and tests). */
  mountRefs(name: string): string[] {
    return [...(this.active.get(name)?.refs ?? [])];
  }

  private activeOf(name: string): Active {
    let a = this.active.get(name);
    if (!a) this.active.set(name, (a = { refs: new Set(), mounted: false }));
    return a;
  }

  private async mountData(name: string, opts: Record<string, string>): Promise<void> {
    const m = localMount(opts);
    const device = await resolveNetworkDevice(m.type, m.device, m.data);
    const volFd = openRoot(this.store.dir(name));
    let fd: number;
    try {
      fd = openNoFollow(volFd, DATA_DIR, O_PATH | O_DIRECTORY);
    } catch (err) {
      throw invalidArgument(`volume ${name}: its data directory is not a directory (${messageOf(err)})`, err);
    } finally {
      closeFd(volFd);
    }
    const target = this.store.dataPath(name);
    try {
      // The fd pins the very directory we checked; the mount lands on it, not on whatever
      // the path might name by now.
      mount(device.device, fdPath(fd), m.type || null, m.flags & ~MS_REMOUNT, device.data || null);
    } catch (err) {
      throw internal(
        maskPassword(mountFailure(device.device, target, m.flags & ~MS_REMOUNT, device.data, err), opts),
        err,
      );
    } finally {
      closeFd(fd);
    }
    try {
      if (m.propagation) mount('', target, null, m.propagation, null);
      // A bind mount ignores MS_RDONLY on its first call: read-only needs a remount.
      if ((m.flags & (MS_BIND | MS_RDONLY)) === (MS_BIND | MS_RDONLY))
        mount('', target, null, m.flags | MS_REMOUNT, null);
    } catch (err) {
      umount2(target, MNT_DETACH);
      throw internal(maskPassword(`failed to mount local volume: ${messageOf(err)}`, opts), err);
    }
  }

  private unmountData(name: string): void {
    const target = this.store.dataPath(name);
    try {
      umount2(target, 0);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EINVAL' || code === 'ENOENT') return; // not mounted any more
      if (code === 'EBUSY') umount2(target, MNT_DETACH);
      else throw err;
    }
  }
}

/**
 * Docker's words for a failed volume mount: what was mounted where, with which flags and
 * data, and the kernel's reason (not the /proc/self/fd path the mount went through).
 */
function mountFailure(device: string, target: string, flags: number, data: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reason = e.code
    ? messageOf(err)
        .replace(/^E[A-Z0-9]+: /, '')
        .replace(/, mount '[^']*'$/, '')
    : messageOf(err);
  return `failed to mount local volume: mount ${device}:${target}, flags: 0x${flags.toString(16)}${data ? `, data: ${data}` : ''}: ${reason}`;
}

/** `_data` must be a real directory: never a symlink that would send a container elsewhere. */
export function checkDataDir(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st?.isDirectory())
    throw invalidArgument(`volume data path ${path} is ${st ? 'not a directory' : 'missing'}; refusing to use it`);
}

/**
 * nfs and cifs take the server's address: a host name in `addr=` (or a cifs URL) is
 * resolved first, as Docker does (the kernel wants an IP).
 */
async function resolveNetworkDevice(
  type: string,
  device: string,
  data: string,
): Promise<{ device: string; data: string }> {
  if (type !== 'nfs' && type !== 'cifs') return { device, data };
  const addr = /(?:^|,)addr=([^,]*)/.exec(data)?.[1];
  if (addr && !isIP(addr)) {
    const ip = (await lookup(addr)).address;
    return { device, data: data.replace(`addr=${addr}`, `addr=${ip}`) };
  }
  return { device, data };
}
