// In-memory companions of container records: the running task, live stdio, the waiters
// for exit/removal, and the supervisor's per-container state (teardown in progress,
// pending restart and its backoff). Rebuilt at start-up by re-adopting tasks; forgotten
// when the container is removed.
import { EventEmitter } from 'node:events';
import type { Task } from './ports.ts';
import { ContainerIo } from './io.ts';

export interface Live {
  task?: Task;
  io: ContainerIo;
  /** 'exit' (code) after each exit is recorded; 'removed' once. */
  readonly events: EventEmitter;
  /** Resolves when the current task's output and exit handling are complete. */
  exitHandled?: Promise<void>;
  /** A restart the policy scheduled (status `restarting`). */
  restartTimer?: NodeJS.Timeout;
  /** The delay before the last policy restart (0: none since the last manual start). */
  restartDelayMs: number;
  /** The OOM killer acted during the current run (its `oom` event went out). */
  oomKilled?: boolean;
  /** Closes the json-file writer of the current run. */
  closeLog?: () => Promise<void>;
  /** Reopens the log file of the current run (CRI log driver only). */
  reopenLog?: () => void;
}

export class LiveRegistry {
  private readonly map = new Map<string, Live>();

  get(id: string): Live {
    let l = this.map.get(id);
    if (!l) {
      l = { io: new ContainerIo(), events: new EventEmitter().setMaxListeners(0), restartDelayMs: 0 };
      this.map.set(id, l);
    }
    return l;
  }

  peek(id: string): Live | undefined {
    return this.map.get(id);
  }

  delete(id: string): void {
    const l = this.map.get(id);
    if (l?.restartTimer) clearTimeout(l.restartTimer);
    this.map.delete(id);
  }
}
