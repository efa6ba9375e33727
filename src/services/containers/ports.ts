// What the container services need from the runtime and the layer store. daemon/ wires
// the real implementations (runtime/, snapshots/) behind these narrow interfaces. Each has
// a conformance suite in services/testing/ that the real adapter and the in-memory fake
// both pass: the contract below is what those suites check.
import type { Readable, Writable } from 'node:stream';
import type { Digest } from '../../common/digest.ts';
import type { HostConfig } from '../../containers/types.ts';
import type { Resources } from '../../api/types/containers.ts';
import type { Mount } from '../../oci/runtime-spec.ts';
import type { DurableSink } from '../../logs/writer.ts';

export interface TaskExit {
  exitCode: number;
  exitedAt: string;
  /** The kernel's OOM killer acted in the container during the run (its cgroup's counter). */
  oomKilled?: boolean;
}

export interface TaskIo {
  stdout: Readable;
  stderr: Readable | null; // null with a TTY: everything arrives on stdout
  stdin: Writable | null; // the write end of the stdin FIFO when OpenStdin
  /** With durable output: where the log resumes and how it commits (no byte lost to a kill). */
  durable?: DurableSink;
}

/**
 * A container's process tree, from TaskRuntime.create until delete().
 *
 * Lifecycle: create (the init exists but has not run its program; `pid` and `io` are set)
 * → start → running ⇄ paused (pause/resume) → the init exits: wait() resolves, every other
 * process of the container is killed, stdout and stderr end → delete() (kills a task that
 * still runs; then the task and its supervisor are gone). A task outlives berthd:
 * TaskRuntime.restore finds it again. Without a handler the init ignores signals but
 * SIGKILL (it is pid 1); other processes die of them (128 + signal).
 *
 * Errors: what the task's state does not allow (pause a paused or exited task, resume a
 * running one, exec in a paused or exited one) is conflict; kill after the exit is
 * not-found; after delete() every call but wait() and delete() is not-found.
 */
export interface Task {
  readonly pid: number;
  readonly io: TaskIo;
  start(): Promise<number>;
  kill(signal: number, all?: boolean): Promise<void>;
  /** Resolves when the task's init exits (once; repeat calls return the same). */
  wait(): Promise<TaskExit>;
  /** Calls `listener` whenever the shim reports an OOM kill in the container (while it runs). */
  onOom(listener: () => void): void;
  /** Flushes and closes io.stdin, then the process's stdin itself: it reads end of file. */
  closeStdin(): Promise<void>;
  /** Deletes the task (killed first if still running) and stops its shim; unmounts the rootfs. Idempotent. */
  delete(): Promise<void>;
  /** Sets the terminal size of a TTY task. */
  resize(width: number, height: number): Promise<void>;
  /** Freezes / thaws every process of the task (cgroup freezer, through the shim). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Applies changed limits to the running task's cgroup at once (`docker update`). */
  updateResources(resources: Resources): Promise<void>;
  /** Host pids of every process in the container (the shim's Pids). */
  pids(): Promise<number[]>;
  /** Adds a process to the running container; call start() on the result. */
  exec(req: ExecRequest): Promise<ExecProcess>;
  /** Finds an exec process again after a berthd restart; `exited` when it is done. */
  restoreExec(
    execId: string,
    opts: { terminal: boolean },
  ): Promise<{ proc: ExecProcess } | { exited: TaskExit } | undefined>;
}

export interface ExecRequest {
  execId: string;
  /** OCI process spec, from TaskRuntime.buildExecProcess. */
  process: unknown;
  terminal: boolean;
  openStdin: boolean;
}

/**
 * One exec process. Lifecycle: Task.exec (registered under its ID, an ID in use being a
 * conflict) → start (output flows on io.stdout/io.stderr) → it exits, on its own or with
 * the task's init (wait) → delete. Task.restoreExec finds it again after a berthd restart.
 */
export interface ExecProcess {
  readonly io: TaskIo;
  start(): Promise<number>;
  wait(): Promise<TaskExit>;
  kill(signal: number): Promise<void>;
  resize(width: number, height: number): Promise<void>;
  /** Flushes and closes io.stdin, then the process's stdin itself: it reads end of file. */
  closeStdin(): Promise<void>;
  /** Removes the process (killed first if still running) from the shim and its FIFOs; our fds close. Idempotent. */
  delete(): Promise<void>;
  /** Drops berthd's fds only; the process keeps running. */
  close(): void;
}

export interface ExecProcessInput {
  containerId: string;
  args: string[];
  /** Exec env on top of the container's. */
  env: string[];
  cwd: string;
  /** '' keeps the container's user. */
  user: string;
  terminal: boolean;
  privileged: boolean;
  readImageFile: (path: string) => Promise<Buffer | undefined>;
}

/** A cgroup sample in engine terms (Docker's stats shape is built from it). */
export interface CgroupSample {
  cpu: {
    total: number;
    user: number;
    system: number;
    percpu: number[];
    periods: number;
    throttledPeriods: number;
    throttledTime: number;
  };
  memory: {
    usage: number;
    maxUsage: number;
    limit: number;
    stats: Record<string, number>;
    failcnt?: number;
    kernel?: number;
    swap?: number;
    oomKills?: number;
  };
  pids: { current: number; limit: number };
  blkio: { serviceBytes: BlkioEntry[]; serviced: BlkioEntry[] };
  /** What the cgroup is set to (Infinity: no limit), as runtime/cgroups.ts reads it. */
  settings?: {
    cpuShares?: number;
    cpuPeriod?: number;
    cpuQuota?: number;
    memoryReservation?: number;
    memorySwap?: number;
  };
  /** The cgroup's processes, host PIDs. */
  procs?: number[];
}
export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface CreateTaskRequest {
  id: string;
  spec: unknown; // OCI runtime spec
  rootfs: Mount[];
  terminal: boolean;
  openStdin: boolean;
  /** A log writer will commit the output it stored (io.durable); until then it is kept. */
  durableOutput?: boolean;
}

/**
 * Runs tasks: buildSpec → create → the Task lifecycle. A program that cannot run fails
 * create or start with an error exitCodeFor() maps to Docker's 126/127; a create for an ID
 * that has a task is a conflict and leaves that task alone; a failed create leaves nothing.
 * After berthd restarts, restore(id) answers for each task it knew: the live task (paused
 * or not), or the exit of one that ended meanwhile (then removed), or undefined (no task,
 * or one that was created but never started: removed). A task whose supervisor (shim) died
 * is reported exited (137, or 255 when unknowable) with its processes gone.
 */
export interface TaskRuntime {
  /** Builds the OCI spec (user resolution included); invalid-argument for a bad user. */
  buildSpec(input: SpecInput): Promise<unknown>;
  create(req: CreateTaskRequest): Promise<Task>;
  /**
   * userns-remap: the user namespace a task of this container will run in, made before
   * its network (the namespace must own its network namespace: `netns` is one it owns, for
   * the network to bind); with `joinUserns` (a donor's, see SpecInput namespaces.user) only
   * the network namespace, owned by that one. undefined when the container runs in the host's. `done()` after
   * create (the task holds them) or on failure.
   */
  prepareUserns(
    id: string,
    hostConfig: { UsernsMode?: string },
    joinUserns?: string,
  ): Promise<{ netns: string; done(): void } | undefined>;
  /** Reconnects to a task left by a previous berthd; `exited` when it is gone or done. */
  restore(
    id: string,
    opts: { terminal: boolean; openStdin: boolean; durableOutput?: boolean },
  ): Promise<{ task: Task; paused: boolean } | { exited: TaskExit } | undefined>;
  /** Removes a task whatever its state (a live one is killed): bundle, FIFOs, runc state. Idempotent. */
  cleanup(id: string): Promise<void>;
  /** IDs of every task with state on this host (running or not), for orphan detection. */
  listTasks(): Promise<string[]>;
  /** The OCI process for an exec: the container's own process with the exec's changes. */
  buildExecProcess(input: ExecProcessInput): Promise<unknown>;
  /**
   * Reads the container's cgroup files (v1 or v2); undefined when it has none. `detail` adds
   * the memory counters, `settings` and `procs` (files read only then: the CRI's metrics).
   */
  cgroupStats(id: string, opts?: { detail?: boolean }): Promise<CgroupSample | undefined>;
  /** Docker's exit code for a failed create/start: 127 not found, 126 not executable, 125 other. */
  exitCodeFor(err: unknown): number;
}

/** Docker's `-u` (name, uid, name:group, uid:gid) against the contents of /etc/passwd and /etc/group. */
export interface UserResolver {
  /** invalid-argument when the user or group does not resolve (runc's messages). */
  resolve(user: string, files: { passwd?: string; group?: string }): { uid: number; gid: number };
}

/**
 * Image layers as a container uses them (images/deps.ts's LayerRegistry registers them).
 * A container's root: lowerDirs(top chain) → prepareRw(dir) (its read-write layer, the
 * upper dir being `<dir>/upper`) → rootfsMounts(lowers, dir) for the runtime to mount: the
 * layers merged with overlay's rules, writes landing in `<dir>/upper`. readFile reads the
 * same merged view without mounting (undefined when absent; invalid-argument for a
 * directory or a file over maxBytes). lowerDirs of a chain not registered is not-found.
 */
export interface LayerPort {
  /** Diff dirs from the top layer down to the base (overlay's lowerdir order). */
  lowerDirs(topChainId: Digest): string[];
  /** The root filesystem as mounts (read-only ones refuse writes); mounts nothing itself. */
  rootfsMounts(lowerDirs: string[], rwDir: string, readonly: boolean): Mount[];
  prepareRw(rwDir: string): Promise<void>;
  readFile(
    lowerDirs: string[],
    upperDir: string | undefined,
    path: string,
    maxBytes: number,
  ): Promise<Buffer | undefined>;
  /** Bytes of the regular files under `dir` (links not followed); 0 when it does not exist. */
  dirSize(dir: string): Promise<number>;
}

/** A namespace shared with the host or joined from another container's process. */
export type NamespaceMode = 'host' | { path: string };

/** Everything the runtime needs to build a task's OCI spec, in engine terms. */
export interface SpecInput {
  id: string;
  args: string[];
  env: string[];
  cwd: string;
  /** `-u` as given (name, uid, name:group, uid:gid); resolved against the image's files. */
  user: string;
  readImageFile: (path: string) => Promise<Buffer | undefined>;
  terminal: boolean;
  hostname: string;
  domainname: string;
  readonlyRootfs: boolean;
  /** Binds and tmpfs mounts from the container's mount points (volumes/specs.ts shapes them). */
  mounts: Mount[];
  /** The root's propagation a shared or slave bind needs. */
  rootfsPropagation?: string;
  hostFiles: { hostname: string; hosts: string; resolvConf: string };
  /** 'host' shares the host's netns; 'private' gets a fresh one; or a netns path. */
  network: 'host' | 'private' | { path: string };
  /**
   * PID, IPC and UTS namespaces other than a fresh one (`--pid host`, `--ipc container:x`…),
   * and /dev/shm when it is not the container's private tmpfs: none, one others may join
   * (`--ipc shareable`), the host's, or another container's shareable one.
   */
  namespaces?: {
    pid?: NamespaceMode;
    ipc?: NamespaceMode;
    uts?: NamespaceMode;
    /** The user namespace of a container this one joins PID, IPC or network namespaces of (userns-remap). */
    user?: { path: string };
    shm?: 'none' | 'shareable' | 'host' | { container: string };
  };
  init: boolean;
  hostConfig: HostConfig;
}
