// A container's mounts at create, as Docker's registerMountPoints and
// createContainerVolumesOS: --volumes-from first, then Binds (`-v`), then Mounts
// (`--mount`), then the anonymous volumes of Config.Volumes (the image's VOLUMEs
// included) where nothing else is mounted. Volumes are made or found with a reference for
// the container, in the same locked step; new ones announce themselves (`create` events).
// Then Docker's copy-up: an empty volume gets what the image has at its destination. On
// any failure everything taken is given back and anonymous volumes made are removed.
// Image mounts are pinned to their image's ID here.
import { existsSync } from 'node:fs';
import { invalidArgument, isKind, messageOf, notFound } from '../../common/errors.ts';
import { isObject } from '../../common/json.ts';
import type { MountPoint } from '../../containers/types.ts';
import { closeFd } from '../../sys/libc.ts';
import { openDirInRoot, openRoot } from '../../sys/inroot.ts';
import { LOCAL_DRIVER } from '../../volumes/record.ts';
import { checkSubpath } from '../../volumes/subpath.ts';
import {
  cleanPath,
  parseBindSpec,
  parseMountSpec,
  parseVolumesFrom,
  validateTmpfsDestination,
  volumesFromReadWrite,
  type ApiMount,
  type ParsedMount,
} from '../../volumes/specs.ts';
import { mountPointsOf } from '../containers/mount-points.ts';
import type { PrepareMounts } from '../containers/volume-port.ts';
import type { ContainerVolumeDeps } from './container-deps.ts';

const toPoint = (p: ParsedMount): MountPoint => ({
  Type: p.Type,
  Name: p.Name,
  Source: p.Source,
  Destination: p.Destination,
  Driver: p.Driver,
  Mode: p.Mode,
  RW: p.RW,
  Propagation: p.Propagation,
  Spec: p.Spec,
  ...(p.SkipMountpointCreation ? { SkipMountpointCreation: true } : {}),
});

const duplicate = (dest: string) => invalidArgument(`Duplicate mount point: ${dest}`);

export async function prepareMounts(deps: ContainerVolumeDeps, req: PrepareMounts): Promise<MountPoint[]> {
  const hc = req.hostConfig;
  const points = new Map<string, MountPoint>();
  const copy = new Set<MountPoint>();
  /** Volumes this create holds a reference on, and the anonymous ones it made. */
  const held: { name: string; made: boolean; anonymous: boolean }[] = [];
  const tmpfs = hc.Tmpfs ?? {};
  if (!isObject(tmpfs)) throw invalidArgument('invalid Tmpfs: expected a map of destinations to options');
  for (const dest of Object.keys(tmpfs)) validateTmpfsDestination(dest);
  const take = async (
    name: string,
    driver: string,
    opts: { options?: Record<string, string> | null; labels?: Record<string, string> | null; anonymous?: boolean } = {},
  ) => {
    const r = await deps.volumes.create({
      name,
      driver,
      options: opts.options ?? null,
      labels: opts.labels ?? null,
      ref: req.id,
    });
    held.push({ name: r.record.name, made: r.created, anonymous: Boolean(opts.anonymous) });
    if (r.created) deps.events.publish('volume', 'create', r.record.name, { driver: r.record.driver });
    return r.record;
  };
  try {
    // A later source for the same destination replaces an earlier one (Docker's order).
    const set = (mp: MountPoint) => {
      const prev = points.get(mp.Destination);
      if (prev) copy.delete(prev);
      points.set(mp.Destination, mp);
    };
    const seen = new Set<string>();

    for (const spec of asStrings(hc.VolumesFrom, 'VolumesFrom')) {
      const { container, mode } = parseVolumesFrom(spec);
      let from;
      try {
        from = deps.containers.resolve(container);
      } catch (err) {
        throw isKind(err, 'not-found') ? invalidArgument(`No such container: ${container}`) : err;
      }
      for (const m of mountPointsOf(from.record)) {
        const cp: MountPoint = { ...m, Mode: '', RW: m.RW && volumesFromReadWrite(mode) };
        if (cp.Type === 'volume') {
          if (!deps.volumes.get(cp.Name)) throw notFound(`get ${cp.Name}: no such volume`);
          await deps.volumes.addRef(cp.Name, req.id);
          held.push({ name: cp.Name, made: false, anonymous: false });
        }
        set(cp);
      }
    }

    for (const raw of asStrings(hc.Binds, 'Binds')) {
      const p = parseBindSpec(raw, hc.VolumeDriver ?? '');
      if (seen.has(p.Destination) || p.Destination in tmpfs) throw duplicate(p.Destination);
      seen.add(p.Destination);
      const mp = toPoint(p);
      if (p.Type === 'bind') applyDaemonRootPropagation(deps, mp);
      else {
        const r = await take(p.Name, p.Driver, { anonymous: !p.Name });
        mp.Name = r.name;
        mp.Driver = r.driver;
        if (r.driver === LOCAL_DRIVER && mp.Mode === '') mp.Mode = 'z';
        if (p.CopyData) copy.add(mp);
      }
      set(mp);
    }

    for (const m of asMounts(hc.Mounts)) {
      const p = parseMountSpec(m, existsSync);
      if (seen.has(p.Destination)) throw duplicate(m.Target ?? p.Destination);
      seen.add(p.Destination);
      const mp = toPoint(p);
      if (p.Type === 'volume') {
        const vo = m.VolumeOptions;
        const r = await take(p.Name, p.Driver, {
          options: vo?.DriverConfig?.Options ?? null,
          labels: vo?.Labels ?? null,
          anonymous: !p.Name,
        });
        mp.Name = r.name;
        mp.Driver = r.driver;
        if (r.driver === LOCAL_DRIVER && mp.Mode === '') mp.Mode = 'z';
        // A subpath mount is never copied into (Docker copies into the subpath; Berth's
        // copy-up marker covers a volume's root only).
        if (p.CopyData && !vo?.Subpath) copy.add(mp);
      } else if (p.Type === 'bind') {
        if (!m.BindOptions?.CreateMountpoint) mp.SkipMountpointCreation = true;
        applyDaemonRootPropagation(deps, mp);
      } else if (p.Type === 'image') {
        mp.Source = checkImageMount(deps, p.Source, m.ImageOptions?.Subpath ?? '');
      }
      set(mp);
    }

    const volumes = req.config.Volumes ?? {};
    if (!isObject(volumes)) throw invalidArgument('invalid Volumes: expected a map of container paths');
    for (const raw of Object.keys(volumes)) {
      if (!raw.startsWith('/'))
        throw invalidArgument(`invalid mount config: invalid mount path: '${raw}' mount path must be absolute`);
      // CVE-2022-23648: "/../../etc" is "/etc" inside the container, never a host path.
      const dest = cleanPath(raw);
      if (dest === '/') throw invalidArgument("invalid specification: destination can't be '/'");
      if (points.has(dest) || dest in tmpfs) continue;
      const here = await deps.statImagePath(req.lowers, dest);
      if (here.kind === 'file' || here.kind === 'other')
        throw invalidArgument(`cannot mount volume over existing file, file exists ${dest}`);
      const r = await take('', hc.VolumeDriver ?? '', { anonymous: true });
      const mp: MountPoint = {
        Type: 'volume',
        Name: r.name,
        Source: '',
        Destination: dest,
        Driver: r.driver,
        Mode: '',
        RW: true,
        Propagation: '',
        Spec: {},
      };
      points.set(dest, mp);
      copy.add(mp);
    }

    const out = [...points.values()];
    for (const mp of out)
      if (mp.Type === 'volume' && mp.Driver === LOCAL_DRIVER) mp.Source = deps.volumes.dataPath(mp.Name);
    await copyUp(deps, req, [...copy]);
    return out;
  } catch (err) {
    await giveBack(deps, req.id, held);
    throw err;
  }
}

/** Undoes prepare (the create failed later): references dropped, anonymous volumes made removed. */
export async function abandonMounts(deps: ContainerVolumeDeps, id: string, mounts: MountPoint[]): Promise<void> {
  await giveBack(
    deps,
    id,
    mounts
      .filter((m) => m.Type === 'volume')
      .map((m) => ({ name: m.Name, made: !m.Spec.Source, anonymous: !m.Spec.Source })),
  );
}

async function giveBack(
  deps: ContainerVolumeDeps,
  id: string,
  held: { name: string; made: boolean; anonymous: boolean }[],
): Promise<void> {
  for (const h of held) {
    await deps.volumes.release(h.name, id).catch(() => {});
    if (!h.made || !h.anonymous) continue;
    const r = await deps.volumes.remove(h.name).catch(() => undefined);
    if (r) deps.events.publish('volume', 'destroy', r.name, { driver: r.driver });
  }
}

/**
 * Docker's copy-up: a volume that is empty gets the image's content at its destination
 * (owners, modes, xattrs kept). The image is looked at without mounting; only when it has
 * something there is a read-only view mounted, once for all such volumes.
 */
async function copyUp(deps: ContainerVolumeDeps, req: PrepareMounts, points: MountPoint[]): Promise<void> {
  const todo: MountPoint[] = [];
  for (const mp of points) {
    const here = await deps.statImagePath(req.lowers, mp.Destination);
    if (here.kind === 'dir' && !here.empty) todo.push(mp);
  }
  if (todo.length === 0) return;
  const view = deps.viewImage(req.lowers);
  try {
    const root = openRoot(view.root);
    try {
      for (const mp of todo) {
        // Resolved inside the image's root: a symlink in the image cannot lead to the host.
        const src = openDirInRoot(root, mp.Destination);
        try {
          await deps.volumes.populate(mp.Name, `${req.id}-copyup`, src, deps.copyUpIds?.(req.hostConfig));
        } finally {
          closeFd(src);
        }
      }
    } finally {
      closeFd(root);
    }
  } finally {
    view.release();
  }
}

/**
 * An image mount's image, pinned to its ID (what the mount shows even if the name moves
 * later), and its subpath checked now, so a create that could never start fails: the path
 * must be in the image, reached without symlinks.
 */
function checkImageMount(deps: ContainerVolumeDeps, ref: string, subpath: string): string {
  let image: { id: string; lowers: string[] };
  try {
    image = deps.imageLayers(ref);
  } catch (err) {
    // Not a 404: the docker CLI takes a 404 from create for the container's image missing
    // and goes to pull that.
    if (isKind(err, 'not-found'))
      throw invalidArgument(`invalid mount config for type "image": ${messageOf(err)}`, err);
    throw err;
  }
  if (subpath) {
    const view = deps.viewImage(image.lowers);
    try {
      checkSubpath(view.root, subpath, `image ${ref}:`);
    } catch (err) {
      throw invalidArgument(`invalid mount config for type "image": ${messageOf(err)}`, err);
    } finally {
      view.release();
    }
  }
  return image.id;
}

/**
 * A bind of (or above) the data root: rslave by default so mounts berthd makes there later
 * reach the container, and refused with a propagation that would not (Docker's rule).
 */
function applyDaemonRootPropagation(deps: ContainerVolumeDeps, mp: MountPoint): void {
  const src = mp.Source;
  const root = deps.dataRoot;
  if (!(src === root || src.startsWith(`${root}/`) || root.startsWith(src === '/' ? '/' : `${src}/`))) return;
  const p = mp.Spec.BindOptions?.Propagation ?? '';
  if (p === '') {
    mp.Propagation = 'rslave';
    return;
  }
  if (p !== 'rslave' && p !== 'rshared')
    throw invalidArgument(
      `invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: ${JSON.stringify(root)}, bind mount source: ${JSON.stringify(src)}, propagation: ${JSON.stringify(p)}`,
    );
}

function asStrings(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw invalidArgument(`json: cannot unmarshal into Go struct field HostConfig.${field} of type []string`);
  return v;
}

function asMounts(v: unknown): ApiMount[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every(isObject))
    throw invalidArgument('json: cannot unmarshal into Go struct field HostConfig.Mounts of type []mount.Mount');
  return v as ApiMount[];
}
