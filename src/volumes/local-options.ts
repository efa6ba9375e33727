// The `local` driver's options, as Docker's: `type`, `device` and `o` (a mount(8)-style
// option string), e.g. `type=tmpfs,device=tmpfs,o=size=10m` or
// `type=none,o=bind,device=/srv/x`. Such a volume is mounted on its `_data` directory when
// the first container needs it and unmounted after the last one stops.
import { invalidArgument } from '../common/errors.ts';
import {
  MS_BIND,
  MS_DIRSYNC,
  MS_MANDLOCK,
  MS_NOATIME,
  MS_NODEV,
  MS_NODIRATIME,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_RELATIME,
  MS_REMOUNT,
  MS_SHARED,
  MS_SLAVE,
  MS_STRICTATIME,
  MS_SYNCHRONOUS,
  MS_UNBINDABLE,
} from '../sys/libc.ts';

const VALID = new Set(['type', 'o', 'device', 'size']);
/** An option that needs others alongside it. */
const MANDATORY: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };

/** Docker's checks on `volume create -o` for the local driver. */
export function validateLocalOptions(opts: Record<string, string> | null | undefined): void {
  if (!opts) return;
  for (const k of Object.keys(opts)) if (!VALID.has(k)) throw invalidArgument(`invalid option: ${JSON.stringify(k)}`);
  if ('size' in opts) {
    // Docker enforces `size` with XFS/ext4 project quotas on the data root; Berth has none.
    throw invalidArgument('quota size requested but no quota support');
  }
  if (opts.type === 'cifs' && opts.device) {
    let u: URL | undefined;
    try {
      u = new URL(opts.device.replace(/^\/\//, 'cifs://'));
    } catch {
      /* a UNC path that is no URL: mount(8) decides */
    }
    if (u?.port) throw invalidArgument("port not allowed in CIFS device URL, include 'port' in 'o='");
  }
  for (const [k, required] of Object.entries(MANDATORY)) {
    if (!(k in opts)) continue;
    for (const r of required) if (!(r in opts)) throw invalidArgument(`missing required option: ${JSON.stringify(r)}`);
  }
}

/** Whether a local volume is a mount (anything but a plain directory). */
export const needsMount = (opts: Record<string, string> | null | undefined) =>
  Boolean(opts && (opts.type || opts.device));

// mount(8)'s flag words: [clears the flag, flag].
const FLAGS: Record<string, [boolean, number]> = {
  defaults: [false, 0],
  ro: [false, MS_RDONLY],
  rw: [true, MS_RDONLY],
  suid: [true, MS_NOSUID],
  nosuid: [false, MS_NOSUID],
  dev: [true, MS_NODEV],
  nodev: [false, MS_NODEV],
  exec: [true, MS_NOEXEC],
  noexec: [false, MS_NOEXEC],
  sync: [false, MS_SYNCHRONOUS],
  async: [true, MS_SYNCHRONOUS],
  dirsync: [false, MS_DIRSYNC],
  remount: [false, MS_REMOUNT],
  mand: [false, MS_MANDLOCK],
  nomand: [true, MS_MANDLOCK],
  atime: [true, MS_NOATIME],
  noatime: [false, MS_NOATIME],
  diratime: [true, MS_NODIRATIME],
  nodiratime: [false, MS_NODIRATIME],
  bind: [false, MS_BIND],
  rbind: [false, MS_BIND | MS_REC],
  relatime: [false, MS_RELATIME],
  norelatime: [true, MS_RELATIME],
  strictatime: [false, MS_STRICTATIME],
  nostrictatime: [true, MS_STRICTATIME],
};
const PROPAGATION: Record<string, number> = {
  unbindable: MS_UNBINDABLE,
  runbindable: MS_UNBINDABLE | MS_REC,
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
};

export interface LocalMount {
  device: string;
  type: string;
  /** mount(2) flags without propagation. */
  flags: number;
  /** Propagation flags, applied by a second mount(2) call. */
  propagation: number;
  /** The filesystem-specific rest of `o`. */
  data: string;
}

/** Splits `o` into mount(2)'s flags and data, as mount(8) and moby's mount.Mount do. */
export function localMount(opts: Record<string, string>): LocalMount {
  if (!opts.device) throw invalidArgument('missing device in volume options');
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const o of (opts.o ?? '').split(',')) {
    if (o === '') continue;
    const f = FLAGS[o];
    if (f) flags = f[0] ? flags & ~f[1] : flags | f[1];
    else if (PROPAGATION[o] !== undefined) propagation |= PROPAGATION[o];
    else data.push(o);
  }
  return { device: opts.device, type: opts.type ?? '', flags, propagation, data: data.join(',') };
}

/** A mount error's text without the volume's password (cifs `password=`). */
export function maskPassword(message: string, opts: Record<string, string>): string {
  const m = /(?:^|,)password=([^,]*)/.exec(opts.o ?? '');
  return m?.[1] ? message.split(`password=${m[1]}`).join('password=********') : message;
}
