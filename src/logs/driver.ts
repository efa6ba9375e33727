// What every logging driver is to the rest of Berth: a message handler for the copier and a
// close. Lifecycle: a driver is opened when its container starts (opening may connect to a
// server, and a failure is the start's error), receives every message of that run, and is
// closed after the run's output was drained. A handler never throws or rejects; the promise
// it may return holds the copier back (dockerd's blocking mode) until the message is handed
// over. Drivers report what they could not deliver through `warn`, rate-limited by them.
import type { DurableSink } from './rotating-file.ts';
import type { MessageHandler } from './copier.ts';

export interface LogDriver {
  readonly handler: MessageHandler;
  close(): Promise<void>;
  /** Drivers that store durably: log a task's spooled output, committing each append. */
  bind?(d: DurableSink): void;
  /** Starts a new file at the same path (the CRI's ReopenContainerLog); file drivers of the CRI only. */
  reopen?(): void;
}

/** The container facts drivers put into tags, records and extra attributes (dockerd's logger.Info). */
export interface ContainerLogInfo {
  /** 64-hex container ID. */
  id: string;
  /** Name without the leading slash. */
  name: string;
  /** Full image ID (sha256:…). */
  imageId: string;
  /** The image as the user named it. */
  imageName: string;
  /** Creation time, RFC 3339 with nanoseconds. */
  created: string;
  entrypoint: string;
  args: string[];
  env: string[];
  labels: Record<string, string>;
  /** The container's directory (local-logs/, container-cached.log, <id>-json.log live there). */
  dir: string;
  /** This host's name (dockerd's os.Hostname()). */
  hostname: string;
}

/** Daemon-side facilities a driver may use. */
export interface DriverContext {
  warn(msg: string, fields: Record<string, unknown>): void;
  /** The journald socket: /run/systemd/journal/socket, or a namespace's. */
  journalSocket: string;
  /** journalctl's --namespace for reading, when berthd logs into a journal namespace. */
  journalNamespace?: string;
}

/** A warning at most once per interval per driver, carrying what was dropped meanwhile. */
export class RateLimitedWarning {
  #last = -Infinity;
  #since = 0;
  total = 0;
  readonly #intervalMs: number;
  readonly #warn: DriverContext['warn'];

  constructor(warn: DriverContext['warn'], intervalMs = 60_000) {
    this.#warn = warn;
    this.#intervalMs = intervalMs;
  }

  /** A warning with the total, whatever the rate limit (at the end of a run). */
  summary(msg: string, fields: Record<string, unknown>): void {
    try {
      this.#warn(msg, { ...fields, droppedTotal: this.total });
    } catch {
      /* a warning sink must not break logging */
    }
  }

  /** Counts `n` lost messages and maybe warns. */
  drop(n: number, msg: string, fields: Record<string, unknown>): void {
    this.total += n;
    this.#since += n;
    const now = performance.now();
    if (now - this.#last < this.#intervalMs) return;
    this.#last = now;
    const dropped = this.#since;
    this.#since = 0;
    try {
      this.#warn(msg, { ...fields, dropped, droppedTotal: this.total });
    } catch {
      /* a warning sink must not break logging */
    }
  }
}
