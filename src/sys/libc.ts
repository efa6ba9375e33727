// Lazy FFI bindings to the few libc calls Node does not expose: mount, umount2, mknod,
// xattrs, pipe sizes, syncfs, flock, openat2, rlimits, the new mount API (fsopen…).
// Every failure becomes a Node-style error (`code` = errno name) so callers can test
// `err.code === 'EEXIST'` exactly as they do for node:fs errors.
import koffi from 'koffi';
import { constants as osConstants } from 'node:os';
import { getSystemErrorMessage, getSystemErrorName } from 'node:util';

type Fn = (...args: unknown[]) => number | bigint;

export interface SysError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

/** Builds the same shape node:fs throws (`ENOENT: no such file or directory, open 'x'`). */
export function sysError(syscall: string, errno: number, path?: string): SysError {
  let code: string;
  try {
    code = getSystemErrorName(-errno);
  } catch {
    code = `E${errno}`;
  }
  let text: string;
  try {
    text = getSystemErrorMessage(-errno);
  } catch {
    text = `errno ${errno}`;
  }
  const err = new Error(`${code}: ${text}, ${syscall}${path !== undefined ? ` '${path}'` : ''}`) as SysError;
  err.code = code;
  err.errno = -errno;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

export const E = osConstants.errno;

interface Bindings {
  mount: Fn;
  umount2: Fn;
  mknod: Fn;
  lsetxattr: Fn;
  lgetxattr: Fn;
  llistxattr: Fn;
  fsetxattr: Fn;
  lremovexattr: Fn;
  fcntl: Fn;
  syncfs: Fn;
  syncFileRange: Fn;
  flock: Fn;
  openat2: Fn;
  getrlimit: Fn;
  setrlimit: Fn;
  kill: Fn;
  fsopen: Fn;
  fsconfig: Fn;
  fsmount: Fn;
  moveMount: Fn;
  openTree: Fn;
  mountSetattr: Fn;
  close: Fn;
  fchmodat: Fn;
  socket: Fn;
  connect: Fn;
  send: Fn;
  sendto: Fn;
  getsockopt: Fn;
  getsockname: Fn;
}

let cached: Bindings | undefined;

// Loaded on first use so importing sys/ costs nothing in processes that never call libc.
// Exported for sys/ modules with calls of their own (sockets.ts): one load, one table.
export function lib(): Bindings {
  if (cached) return cached;
  const c = koffi.load('libc.so.6');
  const f = (decl: string) => c.func(decl) as unknown as Fn;
  // syscall(2) is variadic; on x86-64 and arm64 Linux a variadic callee with only integer
  // arguments reads them exactly like a fixed-arity one, so fixed prototypes are safe and
  // avoid koffi's per-call variadic type parsing.
  const syscall = c.func('syscall', 'long', ['long', 'int', 'str', 'void *', 'size_t']) as unknown as Fn;
  cached = {
    mount: f(
      'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
    ),
    umount2: f('int umount2(const char *target, int flags)'),
    mknod: f('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    lsetxattr: f('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    fsetxattr: f('int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)'),
    lgetxattr: f('long lgetxattr(const char *path, const char *name, void *value, size_t size)'),
    llistxattr: f('long llistxattr(const char *path, void *list, size_t size)'),
    lremovexattr: f('int lremovexattr(const char *path, const char *name)'),
    fcntl: c.func('fcntl', 'int', ['int', 'int', 'int']) as unknown as Fn,
    syncfs: f('int syncfs(int fd)'),
    syncFileRange: f('int sync_file_range(int fd, int64_t offset, int64_t nbytes, unsigned int flags)'),
    flock: f('int flock(int fd, int op)'),
    openat2: (dirfd: unknown, path: unknown, how: unknown) => syscall(SYS_openat2, dirfd, path, how, 24),
    getrlimit: f('int getrlimit(int resource, void *rlim)'),
    setrlimit: f('int setrlimit(int resource, const void *rlim)'),
    kill: f('int kill(int pid, int sig)'),
    fsopen: c.func('syscall', 'long', ['long', 'str', 'uint']) as unknown as Fn,
    fsconfig: c.func('syscall', 'long', ['long', 'int', 'uint', 'str', 'str', 'int']) as unknown as Fn,
    fsmount: c.func('syscall', 'long', ['long', 'int', 'uint', 'uint']) as unknown as Fn,
    moveMount: c.func('syscall', 'long', ['long', 'int', 'str', 'int', 'str', 'uint']) as unknown as Fn,
    openTree: c.func('syscall', 'long', ['long', 'int', 'str', 'uint']) as unknown as Fn,
    mountSetattr: c.func('syscall', 'long', ['long', 'int', 'str', 'uint', 'void *', 'size_t']) as unknown as Fn,
    close: f('int close(int fd)'),
    fchmodat: f('int fchmodat(int dirfd, const char *path, uint32_t mode, int flags)'),
    socket: f('int socket(int domain, int type, int protocol)'),
    connect: f('int connect(int fd, const void *addr, uint32_t len)'),
    send: f('long send(int fd, const void *buf, size_t len, int flags)'),
    sendto: f('long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)'),
    getsockopt: f('int getsockopt(int fd, int level, int name, void *val, _Inout_ uint32_t *len)'),
    getsockname: f('int getsockname(int fd, void *addr, _Inout_ uint32_t *len)'),
  };
  return cached;
}

const SYS_openat2 = 437;
const SYS_open_tree = 428;
const SYS_move_mount = 429;
const SYS_fsopen = 430;
const SYS_fsconfig = 431;
const SYS_fsmount = 432;
const SYS_mount_setattr = 442;

function check(ret: number | bigint, syscall: string, path?: string): number {
  const n = Number(ret);
  if (n < 0) throw sysError(syscall, koffi.errno(), path);
  return n;
}

// ---- mount ----------------------------------------------------------------------------

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_UNBINDABLE = 1 << 17;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MS_RELATIME = 1 << 21;
export const MS_STRICTATIME = 1 << 24;

export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const MNT_EXPIRE = 4;
export const UMOUNT_NOFOLLOW = 8;

export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  check(lib().mount(source, target, fstype, flags, data), 'mount', target);
}

export function umount2(target: string, flags = 0): void {
  check(lib().umount2(target, flags), 'umount2', target);
}

// New mount API (Linux 5.2+): lets an overlay take any number of lowerdirs one at a time
// ("lowerdir+", Linux 6.8+), free of the one-page limit on mount(2)'s data string.
export const FSCONFIG_SET_FLAG = 0;
export const FSCONFIG_SET_STRING = 1;
export const FSCONFIG_CMD_CREATE = 6;
const FSOPEN_CLOEXEC = 1;
const FSMOUNT_CLOEXEC = 1;
const MOVE_MOUNT_F_EMPTY_PATH = 4;
const AT_FDCWD = -100;

/** A value for fsconfig: a string, a flag (null), or a file descriptor (overlay layers by fd, Linux 6.13+). */
export type FsParam = string | null | { fd: number };
const FSCONFIG_SET_FD = 5;

/** Creates a mount of `fstype` configured by key/value pairs and attaches it at `target`. */
export function mountWithFsConfig(fstype: string, target: string, params: [string, FsParam][], attrFlags = 0): void {
  const l = lib();
  const fsfd = check(l.fsopen(SYS_fsopen, fstype, FSOPEN_CLOEXEC), 'fsopen', fstype);
  try {
    for (const [key, value] of params) {
      if (value !== null && typeof value === 'object') {
        check(l.fsconfig(SYS_fsconfig, fsfd, FSCONFIG_SET_FD, key, null, value.fd), 'fsconfig', `${key}=<fd>`);
        continue;
      }
      const cmd = value === null ? FSCONFIG_SET_FLAG : FSCONFIG_SET_STRING;
      check(l.fsconfig(SYS_fsconfig, fsfd, cmd, key, value, 0), 'fsconfig', `${key}=${value ?? ''}`);
    }
    check(l.fsconfig(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, null, null, 0), 'fsconfig', 'create');
    const mfd = check(l.fsmount(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC, attrFlags), 'fsmount', fstype);
    try {
      check(l.moveMount(SYS_move_mount, mfd, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH), 'move_mount', target);
    } finally {
      l.close(mfd);
    }
  } finally {
    l.close(fsfd);
  }
}

const OPEN_TREE_CLONE = 1;
const AT_EMPTY_PATH = 0x1000;
const AT_RECURSIVE = 0x8000;
const MOUNT_ATTR_IDMAP = 0x00100000;

/**
 * A detached clone of the tree at `path` whose ids are seen through the user namespace
 * `usernsFd` (an idmapped mount, Linux 5.12+): a file owned by 0 reads as that namespace's
 * root on the host. The files are not touched. Returns the clone's fd (close it when the
 * mount that uses it exists: the mount keeps the clone).
 */
export function idmappedClone(path: string, usernsFd: number): number {
  const l = lib();
  const fd = check(l.openTree(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC), 'open_tree', path);
  try {
    // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd }
    const attr = Buffer.alloc(32);
    attr.writeBigUInt64LE(BigInt(MOUNT_ATTR_IDMAP), 0);
    attr.writeBigUInt64LE(BigInt(usernsFd), 24);
    check(l.mountSetattr(SYS_mount_setattr, fd, '', AT_EMPTY_PATH | AT_RECURSIVE, attr, 32), 'mount_setattr', path);
    return fd;
  } catch (err) {
    l.close(fd);
    throw err;
  }
}

// ---- device nodes ---------------------------------------------------------------------

export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFREG = 0o100000;

/** glibc's makedev encoding of a 64-bit dev_t. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

/** mknod(2): never follows a final symlink (it fails with EEXIST instead). */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  check(lib().mknod(path, mode, makedev(major, minor)), 'mknod', path);
}

export const AT_SYMLINK_NOFOLLOW = 0x100;

/** chmod of `path` relative to dirfd without following a final symlink (glibc uses O_PATH). */
export function fchmodat(dirfd: number, path: string, mode: number, flags = AT_SYMLINK_NOFOLLOW): void {
  check(lib().fchmodat(dirfd, path, mode, flags), 'fchmodat', path);
}

// ---- xattrs ---------------------------------------------------------------------------

export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

export function lsetxattr(path: string, name: string, value: Buffer, flags = 0): void {
  check(lib().lsetxattr(path, name, value, value.length, flags), 'lsetxattr', path);
}

export function fsetxattr(fd: number, name: string, value: Buffer, flags = 0): void {
  check(lib().fsetxattr(fd, name, value, value.length, flags), 'fsetxattr', name);
}

/** Returns null when the attribute is absent (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | null {
  const l = lib();
  for (let attempt = 0; attempt < 4; attempt++) {
    const size = Number(l.lgetxattr(path, name, null, 0));
    if (size < 0) {
      const errno = koffi.errno();
      if (errno === E.ENODATA) return null;
      throw sysError('lgetxattr', errno, path);
    }
    const buf = Buffer.alloc(size);
    const got = Number(l.lgetxattr(path, name, buf, size));
    if (got >= 0) return buf.subarray(0, got);
    const errno = koffi.errno();
    if (errno !== E.ERANGE) throw sysError('lgetxattr', errno, path);
  }
  throw sysError('lgetxattr', E.ERANGE, path);
}

export function llistxattr(path: string): string[] {
  const l = lib();
  for (let attempt = 0; attempt < 4; attempt++) {
    const size = check(l.llistxattr(path, null, 0), 'llistxattr', path);
    if (size === 0) return [];
    const buf = Buffer.alloc(size);
    const got = Number(l.llistxattr(path, buf, size));
    if (got >= 0)
      return buf
        .subarray(0, got)
        .toString('utf8')
        .split('\0')
        .filter((s) => s !== '');
    const errno = koffi.errno();
    if (errno !== E.ERANGE) throw sysError('llistxattr', errno, path);
  }
  throw sysError('llistxattr', E.ERANGE, path);
}

export function lremovexattr(path: string, name: string): void {
  check(lib().lremovexattr(path, name), 'lremovexattr', path);
}

// ---- fds ------------------------------------------------------------------------------

const F_SETPIPE_SZ = 1031;
const F_GETPIPE_SZ = 1032;

/** Returns the size the kernel actually set (rounded up to a power of two pages). */
export function setPipeSize(fd: number, size: number): number {
  return check(lib().fcntl(fd, F_SETPIPE_SZ, size), 'fcntl(F_SETPIPE_SZ)');
}

export function getPipeSize(fd: number): number {
  return check(lib().fcntl(fd, F_GETPIPE_SZ, 0), 'fcntl(F_GETPIPE_SZ)');
}

/** Flushes the whole filesystem holding fd: cheaper than fsyncing every file of a layer. */
export function syncfs(fd: number): void {
  check(lib().syncfs(fd), 'syncfs');
}

const SYNC_FILE_RANGE_WRITE = 2;

/**
 * Starts writeback of a file's dirty pages without waiting for it (sync_file_range(2)
 * SYNC_FILE_RANGE_WRITE): a later fsync/syncfs then finds little left to write. Not a
 * durability guarantee by itself. Best effort: errors are ignored.
 */
export function startWriteback(fd: number): void {
  lib().syncFileRange(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

/** syncfs(2) on one of koffi's worker threads: the event loop keeps turning meanwhile. */
export function syncfsAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    (lib().syncfs as unknown as { async: (fd: number, cb: (err: unknown, ret: number) => void) => void }).async(
      fd,
      (err, ret) => {
        if (err) reject(err);
        // errno belongs to the worker thread: report the failure without it.
        else if (ret < 0) reject(sysError('syncfs', E.EIO));
        else resolve();
      },
    );
  });
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

export function flock(fd: number, op: number): void {
  check(lib().flock(fd, op), 'flock');
}

export function closeFd(fd: number): void {
  check(lib().close(fd), 'close');
}

// ---- unix datagram sockets (Node has none) -------------------------------------------------

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;

/** A non-blocking AF_UNIX datagram socket connected to `path`; returns its fd. */
export function unixDgramConnect(path: string): number {
  const l = lib();
  const name = Buffer.from(path, 'utf8');
  if (name.length > 107) throw sysError('connect', E.ENAMETOOLONG, path);
  const addr = Buffer.alloc(2 + name.length + 1);
  addr.writeUInt16LE(AF_UNIX, 0);
  name.copy(addr, 2);
  const fd = check(l.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket');
  if (Number(l.connect(fd, addr, addr.length)) < 0) {
    const errno = koffi.errno();
    l.close(fd);
    throw sysError('connect', errno, path);
  }
  return fd;
}

/** Sends one datagram without blocking: false when the receiver's queue is full (EAGAIN). */
export function sendDatagram(fd: number, data: Buffer): boolean {
  const n = Number(lib().send(fd, data, data.length, MSG_NOSIGNAL));
  if (n >= 0) return true;
  const errno = koffi.errno();
  if (errno === E.EAGAIN || errno === E.EWOULDBLOCK) return false;
  throw sysError('send', errno);
}

// ---- openat2 --------------------------------------------------------------------------

export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
export const RESOLVE_CACHED = 0x20;

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;

/**
 * openat2(2) with struct open_how {u64 flags; u64 mode; u64 resolve}. EAGAIN (a rename or
 * mount raced the in-root walk) is retried a few times as the man page advises.
 */
export function openat2(dirfd: number, path: string, flags: number, resolve: number, mode = 0): number {
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags >>> 0), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  const l = lib();
  for (let attempt = 0; ; attempt++) {
    const fd = Number(l.openat2(dirfd, path, how));
    if (fd >= 0) return fd;
    const errno = koffi.errno();
    if (errno === E.EAGAIN && attempt < 16) continue;
    throw sysError('openat2', errno, path);
  }
}

// ---- rlimits, signals -----------------------------------------------------------------

export const RLIMIT_CORE = 4;
export const RLIMIT_NPROC = 6;
export const RLIMIT_NOFILE = 7;
export const RLIMIT_MEMLOCK = 8;
export const RLIM_INFINITY = 0xffffffffffffffffn;

export interface Rlimit {
  soft: bigint;
  hard: bigint;
}

export function getrlimit(resource: number): Rlimit {
  const buf = Buffer.alloc(16);
  check(lib().getrlimit(resource, buf), 'getrlimit');
  return { soft: buf.readBigUInt64LE(0), hard: buf.readBigUInt64LE(8) };
}

export function setrlimit(resource: number, limit: Rlimit): void {
  const buf = Buffer.alloc(16);
  buf.writeBigUInt64LE(limit.soft, 0);
  buf.writeBigUInt64LE(limit.hard, 8);
  check(lib().setrlimit(resource, buf), 'setrlimit');
}

/** kill(2); a negative pid signals a whole process group. */
export function kill(pid: number, signal: number): void {
  check(lib().kill(pid, signal), 'kill');
}
