// The volume service of the domain: records (VolumeStore), drivers (local, plugins), who
// references each volume, and mounting. Every change to one volume — create, take or drop
// a reference, mount, unmount, copy-up, remove — runs under that volume's lock, so "is it
// in use?" and "take it" can never interleave: a volume a container is being created
// with cannot be removed under it, and a removal cannot race a create of the same name.
//
// References are in memory: containers take them at create (in the same locked step that
// creates or finds the volume) and drop them at removal; at start-up the container
// service gives them back from the container records.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync } from 'node:fs';
import { BerthError, conflict, internal, invalidArgument, messageOf, notFound } from '../common/errors.ts';
import { KeyedMutex } from '../common/mutex.ts';
import type { Quarantined } from '../metadata/record-dir.ts';
import { fdPath, openNoFollow, openRoot } from '../sys/inroot.ts';
import { closeFd, O_DIRECTORY, O_PATH } from '../sys/libc.ts';
import { copyUp, isEmptyDir, readMarker, undoCopyUp } from './copy-up.ts';
import type { CopyResult, MapIds } from './copy-tree.ts';
import type { DriverVolume, VolumeDriver, VolumeScope } from './driver.ts';
import { LocalDriver } from './local-driver.ts';
import { needsMount } from './local-options.ts';
import { ANONYMOUS_LABEL, validateVolumeName } from './names.ts';
import type { PluginRegistry } from './plugins.ts';
import { LOCAL_DRIVER, type VolumeRecord } from './record.ts';
import { DATA_DIR, VolumeStore } from './store.ts';

export interface CreateVolumeRequest {
  /** '' or absent: an anonymous volume (64-hex name, the anonymous label). */
  name?: string;
  /** '' or absent: `local`, or whatever driver an existing volume of that name has. */
  driver?: string;
  options?: Record<string, string> | null;
  labels?: Record<string, string> | null;
  /** A container taking a reference in the same locked step. */
  ref?: string;
}

/** A volume as the API shows it. */
export interface VolumeInfo {
  record: VolumeRecord;
  mountpoint: string;
  scope: VolumeScope;
  status?: Record<string, unknown>;
  /** The driver's CreatedAt when it has one, else the record's. */
  createdAt: string;
}

/** Docker's operation errors: "<op> <name>: <cause>", the cause's kind kept. */
function opError(op: string, name: string, err: unknown): BerthError {
  const kind = err instanceof BerthError ? err.kind : 'internal';
  return new BerthError(kind, `${op} ${name}: ${messageOf(err)}`, { cause: err });
}

export const noSuchVolume = (name: string) => notFound(`get ${name}: no such volume`);

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

export class Volumes {
  readonly store: VolumeStore;
  readonly local: LocalDriver;
  private readonly plugins: PluginRegistry;
  private readonly locks = new KeyedMutex();
  private readonly refs = new Map<string, Set<string>>();

  constructor(opts: { root: string; plugins: PluginRegistry; dataOwner?: { uid: number; gid: number } }) {
    this.store = new VolumeStore(opts.root, opts.dataOwner);
    this.local = new LocalDriver(this.store);
    this.plugins = opts.plugins;
  }

  /**
   * Loads the records; notes which option volumes are still mounted; undoes copy-ups that
   * a crash cut short in plain local volumes (others are undone at their next mount).
   */
  async load(): Promise<{ quarantined: Quarantined[]; undone: string[] }> {
    const quarantined = await this.store.load();
    const undone: string[] = [];
    for (const r of this.store.list()) {
      if (r.driver !== LOCAL_DRIVER) continue;
      this.local.noteMounted(r.name);
      if (needsMount(r.options)) continue;
      const names = await readMarker(this.store.dir(r.name));
      if (!names) continue;
      const fd = this.openLocalData(r.name);
      try {
        await undoCopyUp(this.store.dir(r.name), fd, names);
      } finally {
        closeFd(fd);
      }
      undone.push(r.name);
    }
    return { quarantined, undone };
  }

  get(name: string): VolumeRecord | undefined {
    return this.store.get(name);
  }

  list(): VolumeRecord[] {
    return this.store.list();
  }

  /** The record, or Docker's 404 "get <name>: no such volume". */
  require(name: string): VolumeRecord {
    const r = this.store.get(name);
    if (!r) throw noSuchVolume(name);
    return r;
  }

  async driver(name: string): Promise<VolumeDriver> {
    if (name === '' || name === LOCAL_DRIVER) return this.local;
    return this.plugins.get(name);
  }

  /**
   * Creates a volume, or finds the existing one of that name (Docker's create is
   * idempotent for one driver; another driver is a 409). `created` tells which.
   */
  async create(req: CreateVolumeRequest): Promise<{ record: VolumeRecord; created: boolean }> {
    const anonymous = !req.name;
    const name = req.name || randomBytes(32).toString('hex');
    try {
      validateVolumeName(name);
    } catch (err) {
      throw opError('create', name, err);
    }
    return this.locks.run(name, async () => {
      const wanted = req.driver ?? '';
      const existing = this.store.get(name);
      if (existing) {
        if (wanted !== '' && wanted !== existing.driver) {
          await this.driver(wanted).catch((err) => {
            throw opError('create', name, err);
          });
          throw conflict(
            `create ${name}: driver '${existing.driver}' already has volume '${name}': volume name must be unique`,
          );
        }
        if (req.ref) this.addRefLocked(name, req.ref);
        return { record: existing, created: false };
      }
      const driver = await this.driver(wanted).catch((err) => {
        throw opError('create', name, err);
      });
      const labels = anonymous ? { ...(req.labels ?? {}), [ANONYMOUS_LABEL]: '' } : (req.labels ?? null);
      const record: VolumeRecord = {
        schema: 1,
        name,
        driver: driver.name,
        createdAt: rfc3339(new Date()),
        labels,
        options: req.options ?? null,
      };
      try {
        await driver.create(name, record.options);
      } catch (err) {
        throw opError('create', name, err);
      }
      try {
        await this.store.create(record, driver === this.local);
      } catch (err) {
        // The plugin made a volume we could not record: take it back, best effort.
        if (driver !== this.local) await driver.remove(name).catch(() => {});
        throw opError('create', name, err);
      }
      if (req.ref) this.addRefLocked(name, req.ref);
      return { record, created: true };
    });
  }

  /** Takes a reference on an existing volume (volumes-from, start-up). */
  async addRef(name: string, ref: string): Promise<VolumeRecord> {
    return this.locks.run(name, async () => {
      const r = this.require(name);
      this.addRefLocked(name, ref);
      return r;
    });
  }

  /** Start-up: references from container records, before anything else runs. */
  restoreRef(name: string, ref: string): void {
    this.addRefLocked(name, ref);
  }

  async release(name: string, ref: string): Promise<void> {
    await this.locks.run(name, async () => {
      this.refs.get(name)?.delete(ref);
      if (this.refs.get(name)?.size === 0) this.refs.delete(name);
    });
  }

  refsOf(name: string): string[] {
    return [...(this.refs.get(name) ?? [])];
  }

  isReferenced(name: string): boolean {
    return (this.refs.get(name)?.size ?? 0) > 0;
  }

  /**
   * Removes a volume no container references. With `force`, a driver that fails to remove
   * it does not keep the record (Docker's purge), and a missing volume is no error. With
   * `background`, the local files are deleted after the answer.
   * Returns the removed record, or undefined when there was none.
   */
  async remove(name: string, opts: { force?: boolean; background?: boolean } = {}): Promise<VolumeRecord | undefined> {
    return this.locks.run(name, async () => {
      const r = this.store.get(name);
      if (!r) {
        if (opts.force) return undefined;
        throw noSuchVolume(name);
      }
      const refs = this.refsOf(name);
      if (refs.length > 0) throw conflict(`remove ${name}: volume is in use - [${refs.join(', ')}]`);
      if (r.driver === LOCAL_DRIVER) {
        try {
          await this.local.remove(name, { background: opts.background });
        } catch (err) {
          throw opError('remove', name, err);
        }
        return r;
      }
      try {
        const d = await this.driver(r.driver);
        await d.remove(name);
      } catch (err) {
        if (!opts.force) throw opError('remove', name, err);
      }
      await this.store.remove(name, { background: opts.background });
      return r;
    });
  }

  /** Mounts the volume for `ref` and returns the host path of its data. */
  async mount(name: string, ref: string): Promise<string> {
    return this.locks.run(name, () => this.mountLocked(name, ref));
  }

  async unmount(name: string, ref: string): Promise<void> {
    await this.locks.run(name, () => this.unmountLocked(name, ref));
  }

  /** After a restart: a running container's mount is counted again (nothing is mounted). */
  async liveRestore(name: string, ref: string): Promise<void> {
    await this.locks.run(name, async () => {
      const r = this.store.get(name);
      if (r?.driver === LOCAL_DRIVER) this.local.liveRestore(name, ref);
    });
  }

  /**
   * Docker's copy-up: when the volume is empty, the directory `srcFd` (the image's content
   * at the mount's destination) is copied into it. Returns undefined when the volume was
   * not empty (nothing copied).
   */
  async populate(name: string, ref: string, srcFd: number, mapIds?: MapIds): Promise<CopyResult | undefined> {
    return this.locks.run(name, async () => {
      const path = await this.mountLocked(name, ref);
      try {
        const r = this.require(name);
        const dataFd = r.driver === LOCAL_DRIVER ? this.openLocalData(name) : openDir(path);
        try {
          if (!isEmptyDir(dataFd)) return undefined;
          return await copyUp(this.store.dir(name), srcFd, dataFd, mapIds);
        } finally {
          closeFd(dataFd);
        }
      } finally {
        await this.unmountLocked(name, ref);
      }
    });
  }

  /** What the API shows of a volume: a plugin is asked for its mountpoint and status. */
  async describe(r: VolumeRecord): Promise<VolumeInfo> {
    if (r.driver === LOCAL_DRIVER)
      return { record: r, mountpoint: this.store.dataPath(r.name), scope: 'local', createdAt: r.createdAt };
    const d = await this.driver(r.driver);
    let v: DriverVolume | undefined;
    try {
      v = await d.get(r.name);
    } catch (err) {
      throw internal(
        `get ${r.name}: error while checking if volume "${r.name}" exists in driver "${r.driver}": ${messageOf(err)}`,
        err,
      );
    }
    if (!v) throw noSuchVolume(r.name);
    return infoOf(r, v, await d.scope());
  }

  /**
   * Every volume: local records, and what each plugin in use lists (a plugin that fails
   * gives a warning, and its volumes as recorded).
   */
  async listAll(): Promise<{ volumes: VolumeInfo[]; warnings: string[] }> {
    const warnings: string[] = [];
    const out: VolumeInfo[] = [];
    const byDriver = new Map<string, VolumeRecord[]>();
    for (const r of this.store.list()) {
      if (r.driver === LOCAL_DRIVER) {
        out.push({ record: r, mountpoint: this.store.dataPath(r.name), scope: 'local', createdAt: r.createdAt });
        continue;
      }
      (byDriver.get(r.driver) ?? byDriver.set(r.driver, []).get(r.driver)!).push(r);
    }
    for (const d of await this.plugins.activated()) if (!byDriver.has(d.name)) byDriver.set(d.name, []);
    await Promise.all(
      [...byDriver].map(async ([driverName, records]) => {
        try {
          const d = await this.driver(driverName);
          const scope = await d.scope();
          for (const v of await d.list()) {
            const r = this.store.get(v.name);
            if (r && r.driver !== driverName) continue; // the name belongs to another driver
            out.push(infoOf(r ?? adopted(v, driverName), v, scope));
          }
        } catch (err) {
          warnings.push(`list ${driverName}: ${messageOf(err)}`);
          for (const r of records) out.push({ record: r, mountpoint: '', scope: 'local', createdAt: r.createdAt });
        }
      }),
    );
    return { volumes: out, warnings };
  }

  /** The host path of a local volume's data, or a plugin volume's last known mountpoint. */
  dataPath(name: string): string {
    return this.store.dataPath(name);
  }

  private addRefLocked(name: string, ref: string): void {
    let s = this.refs.get(name);
    if (!s) this.refs.set(name, (s = new Set()));
    s.add(ref);
  }

  private async mountLocked(name: string, ref: string): Promise<string> {
    const r = this.require(name);
    const d = await this.driver(r.driver);
    let path: string;
    try {
      path = await d.mount(name, ref);
    } catch (err) {
      throw opError('mount', name, err);
    }
    // A copy-up cut short by a crash is undone before anyone sees the volume.
    const names = await readMarker(this.store.dir(name));
    if (names) {
      try {
        const fd = r.driver === LOCAL_DRIVER ? this.openLocalData(name) : openDir(path);
        try {
          await undoCopyUp(this.store.dir(name), fd, names);
        } finally {
          closeFd(fd);
        }
      } catch (err) {
        await d.unmount(name, ref).catch(() => {});
        throw opError('mount', name, err);
      }
    }
    return path;
  }

  private async unmountLocked(name: string, ref: string): Promise<void> {
    const r = this.store.get(name);
    if (!r) return;
    const d = await this.driver(r.driver);
    try {
      await d.unmount(name, ref);
    } catch (err) {
      throw opError('unmount', name, err);
    }
  }

  /** O_PATH fd of a local volume's `_data`, refusing a symlink in its place. */
  private openLocalData(name: string): number {
    const vol = openRoot(this.store.dir(name));
    try {
      return openNoFollow(vol, DATA_DIR, O_PATH | O_DIRECTORY);
    } catch (err) {
      throw invalidArgument(`volume ${name}: its data directory is not a directory (${messageOf(err)})`, err);
    } finally {
      closeFd(vol);
    }
  }
}

/** O_PATH fd of a plugin's mountpoint (the plugin chose the path: it is followed). */
function openDir(path: string): number {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    return openRoot(fdPath(fd));
  } finally {
    closeSync(fd);
  }
}

function infoOf(r: VolumeRecord, v: DriverVolume, scope: VolumeScope): VolumeInfo {
  return {
    record: r,
    mountpoint: v.mountpoint,
    scope,
    ...(v.status ? { status: v.status } : {}),
    createdAt: v.createdAt ?? r.createdAt,
  };
}

/** A volume a plugin lists that Berth has no record of (made elsewhere). */
function adopted(v: DriverVolume, driver: string): VolumeRecord {
  return { schema: 1, name: v.name, driver, createdAt: v.createdAt ?? '', labels: null, options: null };
}
