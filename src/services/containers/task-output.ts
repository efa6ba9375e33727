// A task's output, wired for one run: raw chunks to the container's attached clients (with
// their backpressure), lines to the log driver. Done when both streams reached EOF.
import type { Readable } from 'node:stream';
import { startCopier } from '../../logs/copier.ts';
import type { ContainerIo } from './io.ts';
import type { LogSink } from './log-sink.ts';
import type { TaskIo } from './ports.ts';
import { teeOutput } from './tee.ts';

export interface OutputRun {
  /** Resolves at EOF of stdout and stderr. */
  readonly done: Promise<void>;
  /** Stops reading (output a grandchild keeps writing after the exit is dropped). */
  close(): void;
}

export function connectOutput(io: ContainerIo, taskIo: TaskIo, log: LogSink | undefined): OutputRun {
  // Durable output: the log resumes where its last commit left off and commits each append.
  if (log?.bind && taskIo.durable) log.bind(taskIo.durable);
  const stdout = teeOutput(taskIo.stdout, (b) => io.deliver('stdout', b));
  const stderr = taskIo.stderr ? teeOutput(taskIo.stderr, (b) => io.deliver('stderr', b)) : null;
  // Without a log driver the output only feeds attach clients: no line splitting at all.
  return log ? startCopier({ stdout, stderr, onMessage: [log.handler] }) : discard(stdout, stderr);
}

/** Consumes output nobody logs, with the copier's shape (done at EOF of both, close). */
function discard(...streams: (Readable | null)[]): OutputRun {
  const live = streams.filter((s): s is Readable => s !== null);
  const done = Promise.all(
    live.map(
      (s) =>
        new Promise<void>((r) => {
          s.once('end', r);
          s.once('close', r);
          s.resume();
        }),
    ),
  ).then(() => {});
  return {
    done,
    close: () => {
      for (const s of live) s.destroy();
    },
  };
}
