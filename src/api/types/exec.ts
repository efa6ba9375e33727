// Exec: create, start, inspect.

/** POST /containers/{id}/exec (Go's container.ExecOptions). */
export interface ExecCreateBody {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  /** [height, width]. */
  ConsoleSize?: [number, number] | null;
  AttachStdin?: boolean;
  AttachStderr?: boolean;
  AttachStdout?: boolean;
  /** Accepted by dockerd's decoder; the start request's Detach is the one that counts. */
  Detach?: boolean;
  DetachKeys?: string;
  /** "KEY=value". */
  Env?: string[] | null;
  WorkingDir?: string;
  Cmd?: string[] | null;
}

/** POST /exec/{id}/start (Go's container.ExecStartOptions). */
export interface ExecStartBody {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

export interface ExecProcessConfig {
  privileged: boolean;
  user: string;
  tty: boolean;
  entrypoint: string;
  arguments: string[];
}

/** GET /exec/{id}/json. */
export interface ExecInspect {
  ID: string;
  Running: boolean;
  /** null until the process has exited. */
  ExitCode: number | null;
  ProcessConfig: ExecProcessConfig;
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
}
