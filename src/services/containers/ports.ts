// What the container services need from the runtime and the layer store. daemon/ wires
// the real implementations (runtime/, snapshots/) behind these narrow interfaces.
import type { Readable, Writable } from 'node:stream';
import type { Digest } from '../../common/digest.ts';
import type { HostConfig } from '../../containers/types.ts';

export interface Mount { type: string; source: string; target?: string; options: string[] }

export interface TaskExit { exitCode: number; exitedAt: string }

export interface TaskIo {
  stdout: Readable;
  stderr: Readable | null; // null with a TTY: everything arrives on stdout
  stdin: Writable | null; // the write end of the stdin FIFO when OpenStdin
}

export interface Task {
  readonly pid: number;
  readonly io: TaskIo;
  start(): Promise<number>;
  kill(signal: number, all?: boolean): Promise<void>;
  /** Resolves when the task's init exits (once; repeat calls return the same). */
  wait(): Promise<TaskExit>;
  closeStdin(): Promise<void>;
  /** Deletes the task and stops its shim; unmounts the rootfs. Idempotent. */
  delete(): Promise<void>;
}

export interface CreateTaskRequest {
  id: string;
  spec: unknown; // OCI runtime spec
  rootfs: Mount[];
  terminal: boolean;
  openStdin: boolean;
}

export interface TaskRuntime {
  /** Builds the OCI spec (user resolution included); invalid-argument for a bad user. */
  buildSpec(input: SpecInput): Promise<unknown>;
  create(req: CreateTaskRequest): Promise<Task>;
  /** Reconnects to a task left by a previous berthd; `exited` when it is gone or done. */
  restore(id: string, opts: { terminal: boolean; openStdin: boolean }): Promise<{ task: Task } | { exited: TaskExit } | undefined>;
  /** Removes any leftovers (bundle, fifos, runc state) of a task that no longer runs. */
  cleanup(id: string): Promise<void>;
  /** IDs of every task with state on this host (running or not), for orphan detection. */
  listTasks(): Promise<string[]>;
  /** Docker's exit code for a failed create/start: 127 not found, 126 not executable, 125 other. */
  exitCodeFor(err: unknown): number;
}

export interface LayerPort {
  lowerDirs(topChainId: Digest): string[];
  rootfsMounts(lowerDirs: string[], rwDir: string, readonly: boolean): Mount[];
  prepareRw(rwDir: string): Promise<void>;
  readFile(lowerDirs: string[], upperDir: string | undefined, path: string, maxBytes: number): Promise<Buffer | undefined>;
  dirSize(dir: string): Promise<number>;
}

export interface BindMount { source: string; destination: string; readonly: boolean }

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
  binds: BindMount[];
  hostFiles: { hostname: string; hosts: string; resolvConf: string };
  /** 'host' shares the host's netns; 'private' gets a fresh one; or a netns path. */
  network: 'host' | 'private' | { path: string };
  init: boolean;
  hostConfig: HostConfig;
}
