// Typed wrappers for the shim's ttrpc service `containerd.task.v2.Task`
// (containerd api/runtime/task/v2/shim.proto; field numbers as in containerd 1.6).
import { AnyCodec, EmptyCodec, TimestampCodec, anyJSON, anyOf, dateFromTimestamp, message } from './protobuf.ts';
import type { Any, MessageCodec, Timestamp } from './protobuf.ts';
import type { CallOptions, TtrpcClient } from './ttrpc.ts';
import type { LinuxResources, Mount, Process } from '../oci/runtime-spec.ts';

export const TASK_SERVICE = 'containerd.task.v2.Task';

// ---- shared types -----------------------------------------------------------------------

/** containerd.types.Mount: what the shim mounts at <bundle>/rootfs before `runc create`. */
interface ShimMount {
  type: string;
  source: string;
  /** Relative to <bundle>/rootfs; empty is the rootfs itself. */
  target: string;
  options: string[];
}
const MountCodec = message<ShimMount>('containerd.types.Mount', {
  type: { no: 1, type: 'string' },
  source: { no: 2, type: 'string' },
  target: { no: 3, type: 'string' },
  options: { no: 4, type: 'string', repeated: true },
});

/** containerd.v1.types.Status */
export type TaskStatus = 'unknown' | 'created' | 'running' | 'stopped' | 'paused' | 'pausing';
const STATUSES: TaskStatus[] = ['unknown', 'created', 'running', 'stopped', 'paused', 'pausing'];
export const statusFromProto = (n: number): TaskStatus => STATUSES[n] ?? 'unknown';

/** containerd.runc.v1.Options (runtime/v2/runc/options/oci.proto). */
export interface RuncOptions {
  noPivotRoot?: boolean;
  noNewKeyring?: boolean;
  shimCgroup?: string;
  ioUid?: number;
  ioGid?: number;
  /** runc binary path (the shim runs "runc" from PATH when empty). */
  binaryName?: string;
  /** runc --root; the shim appends the namespace. Keeps our runc state apart from others'. */
  root?: string;
  criuPath?: string;
  systemdCgroup?: boolean;
  criuImagePath?: string;
  criuWorkPath?: string;
}
export const RuncOptionsCodec = message<Required<RuncOptions>>('containerd.runc.v1.Options', {
  noPivotRoot: { no: 1, type: 'bool' },
  noNewKeyring: { no: 2, type: 'bool' },
  shimCgroup: { no: 3, type: 'string' },
  ioUid: { no: 4, type: 'uint32' },
  ioGid: { no: 5, type: 'uint32' },
  binaryName: { no: 6, type: 'string' },
  root: { no: 7, type: 'string' },
  criuPath: { no: 8, type: 'string' },
  systemdCgroup: { no: 9, type: 'bool' },
  criuImagePath: { no: 10, type: 'string' },
  criuWorkPath: { no: 11, type: 'string' },
});
export const RUNC_OPTIONS_TYPE_URL = 'containerd.runc.v1.Options';
export const PROCESS_SPEC_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';
export const LINUX_RESOURCES_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources';

export const runcOptionsAny = (o: RuncOptions): Any => anyOf(RUNC_OPTIONS_TYPE_URL, RuncOptionsCodec, o);
export const processSpecAny = (p: Process): Any => anyJSON(PROCESS_SPEC_TYPE_URL, p);
export const linuxResourcesAny = (r: LinuxResources): Any => anyJSON(LINUX_RESOURCES_TYPE_URL, r);

// ---- messages ---------------------------------------------------------------------------

const IdExec = { id: { no: 1, type: 'string' }, execId: { no: 2, type: 'string' } } as const;
interface IdExecMsg {
  id: string;
  execId: string;
}
interface IdMsg {
  id: string;
}
const IdOnly = message<IdMsg>('IdRequest', { id: { no: 1, type: 'string' } });
const IdExecCodec = message<IdExecMsg>('IdExecRequest', IdExec);

interface CreateTaskRequestMsg {
  id: string;
  bundle: string;
  rootfs: ShimMount[];
  terminal: boolean;
  stdin: string;
  stdout: string;
  stderr: string;
  checkpoint: string;
  parentCheckpoint: string;
  options: Any | undefined;
}
const CreateTaskRequest = message<CreateTaskRequestMsg>('CreateTaskRequest', {
  id: { no: 1, type: 'string' },
  bundle: { no: 2, type: 'string' },
  rootfs: { no: 3, type: MountCodec, repeated: true },
  terminal: { no: 4, type: 'bool' },
  stdin: { no: 5, type: 'string' },
  stdout: { no: 6, type: 'string' },
  stderr: { no: 7, type: 'string' },
  checkpoint: { no: 8, type: 'string' },
  parentCheckpoint: { no: 9, type: 'string' },
  options: { no: 10, type: AnyCodec },
});
const PidResponse = message<{ pid: number }>('PidResponse', { pid: { no: 1, type: 'uint32' } });

interface DeleteResponseMsg {
  pid: number;
  exitStatus: number;
  exitedAt: Timestamp | undefined;
}
export const DeleteResponseCodec = message<DeleteResponseMsg>('DeleteResponse', {
  pid: { no: 1, type: 'uint32' },
  exitStatus: { no: 2, type: 'uint32' },
  exitedAt: { no: 3, type: TimestampCodec },
});

interface ExecMsg {
  id: string;
  execId: string;
  terminal: boolean;
  stdin: string;
  stdout: string;
  stderr: string;
  spec: Any | undefined;
}
const ExecProcessRequest = message<ExecMsg>('ExecProcessRequest', {
  ...IdExec,
  terminal: { no: 3, type: 'bool' },
  stdin: { no: 4, type: 'string' },
  stdout: { no: 5, type: 'string' },
  stderr: { no: 6, type: 'string' },
  spec: { no: 7, type: AnyCodec },
});

const ResizePtyRequest = message<IdExecMsg & { width: number; height: number }>('ResizePtyRequest', {
  ...IdExec,
  width: { no: 3, type: 'uint32' },
  height: { no: 4, type: 'uint32' },
});

interface StateResponseMsg {
  id: string;
  bundle: string;
  pid: number;
  status: number;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  exitStatus: number;
  exitedAt: Timestamp | undefined;
  execId: string;
}
const StateResponse = message<StateResponseMsg>('StateResponse', {
  id: { no: 1, type: 'string' },
  bundle: { no: 2, type: 'string' },
  pid: { no: 3, type: 'uint32' },
  status: { no: 4, type: 'enum' },
  stdin: { no: 5, type: 'string' },
  stdout: { no: 6, type: 'string' },
  stderr: { no: 7, type: 'string' },
  terminal: { no: 8, type: 'bool' },
  exitStatus: { no: 9, type: 'uint32' },
  exitedAt: { no: 10, type: TimestampCodec },
  execId: { no: 11, type: 'string' },
});

const KillRequest = message<IdExecMsg & { signal: number; all: boolean }>('KillRequest', {
  ...IdExec,
  signal: { no: 3, type: 'uint32' },
  all: { no: 4, type: 'bool' },
});

const CloseIORequest = message<IdExecMsg & { stdin: boolean }>('CloseIORequest', {
  ...IdExec,
  stdin: { no: 3, type: 'bool' },
});

const ProcessInfo = message<{ pid: number; info: Any | undefined }>('ProcessInfo', {
  pid: { no: 1, type: 'uint32' },
  info: { no: 2, type: AnyCodec },
});
const PidsResponse = message<{ processes: { pid: number; info: Any | undefined }[] }>('PidsResponse', {
  processes: { no: 1, type: ProcessInfo, repeated: true },
});

const MapEntry = message<{ key: string; value: string }>('MapEntry', {
  key: { no: 1, type: 'string' },
  value: { no: 2, type: 'string' },
});
const UpdateTaskRequest = message<{
  id: string;
  resources: Any | undefined;
  annotations: { key: string; value: string }[];
}>('UpdateTaskRequest', {
  id: { no: 1, type: 'string' },
  resources: { no: 2, type: AnyCodec },
  annotations: { no: 3, type: MapEntry, repeated: true },
});

const WaitResponse = message<{ exitStatus: number; exitedAt: Timestamp | undefined }>('WaitResponse', {
  exitStatus: { no: 1, type: 'uint32' },
  exitedAt: { no: 2, type: TimestampCodec },
});

const StatsResponse = message<{ stats: Any | undefined }>('StatsResponse', { stats: { no: 1, type: AnyCodec } });

const ConnectResponse = message<{ shimPid: number; taskPid: number; version: string }>('ConnectResponse', {
  shimPid: { no: 1, type: 'uint32' },
  taskPid: { no: 2, type: 'uint32' },
  version: { no: 3, type: 'string' },
});

const ShutdownRequest = message<{ id: string; now: boolean }>('ShutdownRequest', {
  id: { no: 1, type: 'string' },
  now: { no: 2, type: 'bool' },
});

// ---- public shapes ----------------------------------------------------------------------

export interface CreateTaskOptions {
  id: string;
  bundle: string;
  rootfs: Mount[];
  terminal?: boolean;
  stdin?: string;
  stdout?: string;
  stderr?: string;
  options?: Any;
}

export interface ExitInfo {
  exitStatus: number;
  /** undefined when the shim reports Go's zero time (not exited). */
  exitedAt: Date | undefined;
}

export interface DeleteResult extends ExitInfo {
  pid: number;
}

export interface TaskState extends ExitInfo {
  id: string;
  execId: string;
  bundle: string;
  pid: number;
  status: TaskStatus;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

export interface ExecOptions {
  id: string;
  execId: string;
  terminal?: boolean;
  stdin?: string;
  stdout?: string;
  stderr?: string;
  spec: Process;
}

export function decodeDeleteResponse(buf: Uint8Array): DeleteResult {
  const r = DeleteResponseCodec.decode(buf);
  return { pid: r.pid, exitStatus: r.exitStatus, exitedAt: dateFromTimestamp(r.exitedAt) };
}

/** The Task service of one shim, over an open ttrpc connection. */
export class TaskClient {
  readonly client: TtrpcClient;
  constructor(client: TtrpcClient) {
    this.client = client;
  }

  private async rpc<Req extends object, Res extends object>(
    method: string,
    reqCodec: MessageCodec<Req>,
    req: Partial<Req>,
    resCodec: MessageCodec<Res>,
    opts?: CallOptions,
  ): Promise<Res> {
    const raw = await this.client.call(TASK_SERVICE, method, reqCodec.encode(req), opts);
    return resCodec.decode(raw);
  }

  async create(o: CreateTaskOptions, opts?: CallOptions): Promise<number> {
    const rootfs = o.rootfs.map((m) => ({
      type: m.type ?? '',
      source: m.source ?? '',
      target: m.destination.replace(/^\/+/, ''),
      options: m.options ?? [],
    }));
    const r = await this.rpc(
      'Create',
      CreateTaskRequest,
      {
        id: o.id,
        bundle: o.bundle,
        rootfs,
        terminal: o.terminal ?? false,
        stdin: o.stdin ?? '',
        stdout: o.stdout ?? '',
        stderr: o.stderr ?? '',
        options: o.options,
      },
      PidResponse,
      opts,
    );
    return r.pid;
  }

  async start(id: string, execId = '', opts?: CallOptions): Promise<number> {
    return (await this.rpc('Start', IdExecCodec, { id, execId }, PidResponse, opts)).pid;
  }

  async delete(id: string, execId = '', opts?: CallOptions): Promise<DeleteResult> {
    const raw = await this.client.call(TASK_SERVICE, 'Delete', IdExecCodec.encode({ id, execId }), opts);
    return decodeDeleteResponse(raw);
  }

  async kill(id: string, execId: string, signal: number, all = false, opts?: CallOptions): Promise<void> {
    await this.rpc('Kill', KillRequest, { id, execId, signal, all }, EmptyCodec, opts);
  }

  async wait(id: string, execId = '', opts?: CallOptions): Promise<ExitInfo> {
    const r = await this.rpc('Wait', IdExecCodec, { id, execId }, WaitResponse, opts);
    return { exitStatus: r.exitStatus, exitedAt: dateFromTimestamp(r.exitedAt) };
  }

  async state(id: string, execId = '', opts?: CallOptions): Promise<TaskState> {
    const r = await this.rpc('State', IdExecCodec, { id, execId }, StateResponse, opts);
    return {
      id: r.id,
      execId: r.execId,
      bundle: r.bundle,
      pid: r.pid,
      status: statusFromProto(r.status),
      stdin: r.stdin,
      stdout: r.stdout,
      stderr: r.stderr,
      terminal: r.terminal,
      exitStatus: r.exitStatus,
      exitedAt: dateFromTimestamp(r.exitedAt),
    };
  }

  async pids(id: string, opts?: CallOptions): Promise<{ pid: number; info?: Any }[]> {
    const r = await this.rpc('Pids', IdOnly, { id }, PidsResponse, opts);
    return r.processes.map((p) => (p.info ? { pid: p.pid, info: p.info } : { pid: p.pid }));
  }

  async exec(o: ExecOptions, opts?: CallOptions): Promise<void> {
    await this.rpc(
      'Exec',
      ExecProcessRequest,
      {
        id: o.id,
        execId: o.execId,
        terminal: o.terminal ?? false,
        stdin: o.stdin ?? '',
        stdout: o.stdout ?? '',
        stderr: o.stderr ?? '',
        spec: processSpecAny(o.spec),
      },
      EmptyCodec,
      opts,
    );
  }

  async resizePty(id: string, execId: string, width: number, height: number, opts?: CallOptions): Promise<void> {
    await this.rpc('ResizePty', ResizePtyRequest, { id, execId, width, height }, EmptyCodec, opts);
  }

  async closeIO(id: string, execId = '', stdin = true, opts?: CallOptions): Promise<void> {
    await this.rpc('CloseIO', CloseIORequest, { id, execId, stdin }, EmptyCodec, opts);
  }

  async pause(id: string, opts?: CallOptions): Promise<void> {
    await this.rpc('Pause', IdOnly, { id }, EmptyCodec, opts);
  }

  async resume(id: string, opts?: CallOptions): Promise<void> {
    await this.rpc('Resume', IdOnly, { id }, EmptyCodec, opts);
  }

  /** resources: usually processSpec-style LinuxResources JSON under LINUX_RESOURCES_TYPE_URL. */
  async update(
    id: string,
    resources: Any | undefined,
    annotations: Record<string, string> = {},
    opts?: CallOptions,
  ): Promise<void> {
    await this.rpc(
      'Update',
      UpdateTaskRequest,
      {
        id,
        resources,
        annotations: Object.entries(annotations).map(([key, value]) => ({ key, value })),
      },
      EmptyCodec,
      opts,
    );
  }

  /** Raw stats Any (cgroups v1 `io.containerd.cgroups.v1.Metrics` or v2 metrics protobuf). */
  async stats(id: string, opts?: CallOptions): Promise<Any | undefined> {
    return (await this.rpc('Stats', IdOnly, { id }, StatsResponse, opts)).stats;
  }

  async connect(id: string, opts?: CallOptions): Promise<{ shimPid: number; taskPid: number; version: string }> {
    return this.rpc('Connect', IdOnly, { id }, ConnectResponse, opts);
  }

  /** Asks the shim to exit; it does only once it serves no task. */
  async shutdown(id: string, now = false, opts?: CallOptions): Promise<void> {
    await this.rpc('Shutdown', ShutdownRequest, { id, now }, EmptyCodec, opts);
  }
}
