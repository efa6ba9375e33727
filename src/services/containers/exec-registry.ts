// The exec instances of this daemon, in memory by exec ID (records of started ones are also
// kept on disk by exec.ts so they survive a berthd restart).
import { notFound } from '../../common/errors.ts';
import type { ExecProcess } from './ports.ts';
import type { ExecInspect } from '../../api/types/exec.ts';

/** Finished execs a container keeps (Docker keeps them until the container goes). */
const MAX_FINISHED = 128;

/** What inspect shows, and what the process needs. */
export interface ExecRecord extends ExecInspect {
  WorkingDir: string;
  Env: string[];
  /** Set once start was called (a second start is a conflict). */
  Started: boolean;
}

export interface ExecEntry {
  record: ExecRecord;
  proc?: ExecProcess;
}

/** Every exec instance of this daemon, by exec ID. */
export class ExecRegistry {
  private readonly byId = new Map<string, ExecEntry>();

  add(e: ExecEntry): void {
    this.byId.set(e.record.ID, e);
  }

  get(id: string): ExecEntry {
    const e = this.byId.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  of(containerId: string): ExecEntry[] {
    return [...this.byId.values()].filter((e) => e.record.ContainerID === containerId);
  }

  /** Keeps the newest finished records of a container, forgets the rest. */
  trim(containerId: string): void {
    const finished = this.of(containerId).filter((e) => e.record.Started && !e.record.Running);
    for (const e of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED))) this.byId.delete(e.record.ID);
  }

  dropContainer(containerId: string): void {
    for (const e of this.of(containerId)) this.byId.delete(e.record.ID);
  }
}
