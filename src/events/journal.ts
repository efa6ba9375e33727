// The event history on disk: one JSON event per line in <data-root>/events.jsonl, so a
// bounded history survives berthd restarts (a SIGKILL included: lines are appended as they
// happen, batched per tick, without fsync — events are a diagnostic record, not state).
//
// Lifecycle: openJournal() reads the last `cap` events (undecodable lines are skipped) →
// append() per event → close() flushes. Once 2×cap lines were appended since the last
// compaction, the file is rewritten atomically with the bus's retained history.
import { constants as fsc } from 'node:fs';
import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import type { EngineEvent, EventJournalSink } from './bus.ts';

export interface EventJournal extends EventJournalSink {
  /** Wires the source of the compacted history (the bus). */
  compactFrom(source: () => EngineEvent[]): void;
  close(): Promise<void>;
}

function isEvent(v: unknown): v is EngineEvent {
  const e = v as EngineEvent;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.Type === 'string' &&
    typeof e.Action === 'string' &&
    typeof e.timeNano === 'number' &&
    typeof e.Actor === 'object' &&
    e.Actor !== null
  );
}

export async function openJournal(
  path: string,
  cap: number,
): Promise<{ journal: EventJournal; history: EngineEvent[] }> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const history: EngineEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (isEvent(v)) history.push(v);
    } catch {
      /* a torn last line after a crash */
    }
  }
  history.sort((a, b) => a.timeNano - b.timeNano);
  const kept = history.slice(-cap);
  let fh: FileHandle | undefined = await open(path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT, 0o600);
  let lines = history.length;
  let pending: EngineEvent[] = [];
  // Compaction writes what was flushed, never an event still waiting in `pending`.
  let lastWritten = kept.at(-1)?.timeNano ?? 0;
  let flushing: Promise<void> = Promise.resolve();
  let scheduled = false;
  let source: (() => EngineEvent[]) | undefined;

  const compact = async () => {
    const events = (source?.() ?? []).filter((e) => e.timeNano <= lastWritten);
    const tmp = `${path}.tmp`;
    await writeFile(tmp, events.map((e) => JSON.stringify(e) + '\n').join(''), { mode: 0o600 });
    await rename(tmp, path);
    await fh?.close();
    fh = await open(path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT, 0o600);
    lines = events.length;
  };
  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    flushing = flushing
      .then(async () => {
        if (!fh || batch.length === 0) return;
        await fh.write(batch.map((e) => JSON.stringify(e) + '\n').join(''));
        lines += batch.length;
        lastWritten = batch[batch.length - 1].timeNano;
        if (lines > 2 * cap) await compact();
      })
      .catch(() => {
        /* a full disk costs history, never the daemon */
      });
    return flushing;
  };
  if (lines > 2 * cap) {
    source = () => kept;
    await compact().catch(() => {});
    source = undefined;
  }
  const journal: EventJournal = {
    append(e) {
      if (!fh) return;
      pending.push(e);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    compactFrom(s) {
      source = s;
    },
    async close() {
      await flush();
      await fh?.close();
      fh = undefined;
    },
  };
  return { journal, history: kept };
}
