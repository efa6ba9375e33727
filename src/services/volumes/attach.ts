// A container's mounts at start, and their undoing at exit: volumes mounted (a `mount`
// event each, as Docker), subpaths pinned, images viewed read-only, missing bind sources created when Docker would
// (`-v`; `--mount` only with CreateMountpoint), propagation checked against the source's
// mount, tmpfs options whitelisted. What a run attached is remembered until its exit.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import type { MountPoint } from '../../containers/types.ts';
import type { Mount } from '../../oci/runtime-spec.ts';
import { checkPropagation, rootfsPropagationFor } from '../../volumes/propagation.ts';
import { LOCAL_DRIVER } from '../../volumes/record.ts';
import { bindMountOptions, byDepth, tmpfsData, tmpfsMountOptions } from '../../volumes/specs.ts';
import { pinSubpath, type Pin } from '../../volumes/subpath.ts';
import { mountPointsOf } from '../containers/mount-points.ts';
import type { FsView } from '../containers/fs-ports.ts';
import type { AttachedMounts } from '../containers/volume-port.ts';
import type { ContainerVolumeDeps } from './container-deps.ts';

interface Held {
  name: string;
  driver: string;
  ref: string;
  /** Where the data was when mounted (a plugin's mountpoint). */
  path: string;
}

/** The volumes each container's current run holds mounted, by container ID. */
export class AttachedRegistry {
  private readonly runs = new Map<string, Held[]>();
  set(id: string, held: Held[]): void {
    this.runs.set(id, held);
  }
  take(id: string): Held[] | undefined {
    const h = this.runs.get(id);
    this.runs.delete(id);
    return h;
  }
  pathOf(id: string, name: string): string | undefined {
    return this.runs.get(id)?.find((h) => h.name === name)?.path;
  }
}

/** A reference per (container, volume): the same volume mounted twice gets two. */
function refsFor(id: string, points: MountPoint[]): Map<MountPoint, string> {
  const count = new Map<string, number>();
  const out = new Map<MountPoint, string>();
  for (const mp of points) {
    if (mp.Type !== 'volume') continue;
    const n = count.get(mp.Name) ?? 0;
    count.set(mp.Name, n + 1);
    out.set(mp, n === 0 ? id : `${id}-${n}`);
  }
  return out;
}

export async function attachMounts(
  deps: ContainerVolumeDeps,
  registry: AttachedRegistry,
  c: Container,
): Promise<AttachedMounts> {
  const id = c.record.id;
  const hc = c.record.hostConfig;
  const privileged = Boolean(hc.Privileged);
  const tmpfs = hc.Tmpfs ?? {};
  const points = mountPointsOf(c.record);
  const refs = refsFor(id, points);
  const mounts: Mount[] = [];
  const held: Held[] = [];
  const pins: Pin[] = [];
  const views: FsView[] = [];
  const propagations: string[] = [];
  const dropPins = () => {
    for (const p of pins) p.release();
    for (const v of views) v.release();
  };
  const undo = async () => {
    dropPins();
    for (const h of held.reverse()) await deps.volumes.unmount(h.name, h.ref).catch(() => {});
  };
  try {
    for (const [dest, data] of Object.entries(tmpfs))
      mounts.push({ destination: dest, type: 'tmpfs', source: 'tmpfs', options: tmpfsMountOptions(data, privileged) });
    for (const [i, mp] of points.entries()) {
      if (mp.Destination in tmpfs) continue; // HostConfig.Tmpfs wins, as Docker's
      const spec = mp.Spec;
      if (mp.Type === 'tmpfs') {
        const data = tmpfsData(spec.TmpfsOptions ?? null, Boolean(spec.ReadOnly));
        mounts.push({
          destination: mp.Destination,
          type: 'tmpfs',
          source: 'tmpfs',
          options: tmpfsMountOptions(data, privileged),
        });
        continue;
      }
      if (mp.Type === 'image') {
        mounts.push(imageMount(deps, mp, { views, pins }, join(deps.pinsDir, `${id}-${i}`)));
        continue;
      }
      let source = mp.Source;
      if (mp.Type === 'volume') {
        const ref = refs.get(mp)!;
        const path = await deps.volumes.mount(mp.Name, ref);
        held.push({ name: mp.Name, driver: mp.Driver, ref, path });
        source = path;
        const sub = spec.VolumeOptions?.Subpath;
        if (sub) {
          const pin = pinSubpath(path, sub, join(deps.pinsDir, `${id}-${i}`));
          pins.push(pin);
          source = pin.path;
        }
      }
      let propagation = mp.Propagation;
      if (mp.Type === 'bind') {
        prepareBindSource(mp);
        try {
          checkPropagation(mp.Source, propagation);
        } catch (err) {
          // rslave given by default to a source in the data root falls back to private
          // when the source cannot be a slave (Docker's fallback); one asked for cannot.
          if (spec.BindOptions?.Propagation) throw err;
          propagation = 'rprivate';
        }
        propagations.push(propagation);
      }
      mounts.push({
        destination: mp.Destination,
        type: 'bind',
        source,
        options: bindMountOptions({ RW: mp.RW, Propagation: propagation, Spec: spec, recursiveReadOnly: true }),
      });
    }
  } catch (err) {
    await undo();
    throw err;
  }
  registry.set(id, held);
  for (const h of held) {
    const mp = points.find((p) => p.Name === h.name)!;
    deps.events.publish('volume', 'mount', h.name, {
      driver: h.driver,
      container: id,
      destination: mp.Destination,
      'read/write': String(mp.RW),
      propagation: mp.Propagation,
    });
  }
  const propagation = rootfsPropagationFor(propagations);
  return {
    mounts: byDepth(mounts),
    ...(propagation ? { rootfsPropagation: propagation } : {}),
    created: dropPins,
    release: async () => {
      registry.take(id);
      await undo();
    },
  };
}

/**
 * An image mount: a read-only view of the image's layers (its subpath pinned), bound
 * read-only. The task's mount holds the filesystem on its own, so the view and the pin go
 * once the task exists: nothing is left mounted on the host for the run.
 */
function imageMount(
  deps: ContainerVolumeDeps,
  mp: MountPoint,
  held: { views: FsView[]; pins: Pin[] },
  staging: string,
): Mount {
  const view = deps.viewImage(deps.imageLayers(mp.Source).lowers);
  held.views.push(view);
  let source = view.root;
  const sub = mp.Spec.ImageOptions?.Subpath;
  if (sub) {
    const pin = pinSubpath(view.root, sub, staging, mp.Spec.Source ?? mp.Source);
    held.pins.push(pin);
    source = pin.path;
  }
  return { destination: mp.Destination, type: 'bind', source, options: ['rbind', 'ro', 'rprivate'] };
}

/** `-v /host:/ctr` makes a missing source directory (Docker's); `--mount` refuses it unless CreateMountpoint. */
function prepareBindSource(mp: MountPoint): void {
  if (statSync(mp.Source, { throwIfNoEntry: false })) return;
  if (mp.SkipMountpointCreation)
    throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${mp.Source}`);
  try {
    mkdirSync(mp.Source, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw invalidArgument(`error while creating mount source path '${mp.Source}': ${(err as Error).message}`, err);
  }
}

/** At exit: what the run attached is unmounted (an `unmount` event each). */
export async function detachMounts(
  deps: ContainerVolumeDeps,
  registry: AttachedRegistry,
  c: Container,
  opts: { afterCrash?: boolean } = {},
): Promise<void> {
  const id = c.record.id;
  let held = registry.take(id);
  if (!held && opts.afterCrash) {
    // The run began under an earlier berthd: plugins still count its mounts.
    const points = mountPointsOf(c.record);
    const refs = refsFor(id, points);
    held = points
      .filter((mp) => mp.Type === 'volume' && mp.Driver !== LOCAL_DRIVER && deps.volumes.get(mp.Name))
      .map((mp) => ({ name: mp.Name, driver: mp.Driver, ref: refs.get(mp)!, path: '' }));
  }
  for (const h of held ?? []) {
    try {
      await deps.volumes.unmount(h.name, h.ref);
      deps.events.publish('volume', 'unmount', h.name, { driver: h.driver, container: id });
    } catch (err) {
      deps.log.warn('unmounting a volume failed', { volume: h.name, container: id, err });
    }
  }
}

/** After a berthd restart: a running container's volumes count as mounted by it again. */
export async function adoptMounts(deps: ContainerVolumeDeps, registry: AttachedRegistry, c: Container): Promise<void> {
  const id = c.record.id;
  const points = mountPointsOf(c.record);
  const refs = refsFor(id, points);
  const held: Held[] = [];
  for (const mp of points) {
    if (mp.Type !== 'volume' || !deps.volumes.get(mp.Name)) continue;
    const ref = refs.get(mp)!;
    await deps.volumes.liveRestore(mp.Name, ref);
    held.push({
      name: mp.Name,
      driver: mp.Driver,
      ref,
      path: mp.Driver === LOCAL_DRIVER ? deps.volumes.dataPath(mp.Name) : '',
    });
  }
  registry.set(id, held);
}
