// A build's inputs and its output channel.
import type { Readable } from 'node:stream';
import type { Dockerfile } from '../dockerfile/ast.ts';
import type { ContextIndex } from '../context/index.ts';

export interface BuildContext {
  index: ContextIndex;
  /**
   * A fresh stream of the (decompressed) context tar; only opened when a COPY runs.
   * `wanted` names the entries the reader needs: a source that can skip the rest may.
   */
  open(wanted?: (name: string) => boolean): Readable;
}

export interface BuildRequest {
  dockerfile: Dockerfile;
  /** Name used in located errors (`Dockerfile:7: …`). */
  fileName: string;
  context: BuildContext;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  rm: boolean;
  forceRm: boolean;
  network?: string;
  extraHosts: string[];
  shmSize?: number;
  platform?: string;
  cacheFrom: string[];
  /** --ulimit, applied to every RUN container. */
  ulimits?: { Name: string; Soft: number; Hard: number }[];
  /** `--secret` values by id: memory only, never in a key, a layer, history or a log. */
  secrets?: ReadonlyMap<string, Buffer>;
}

export interface BuildOutput {
  /** Text for the client (`{"stream": …}`); lines end with \n. */
  stream(text: string): void;
}

export interface StepFailure extends Error {
  code?: number;
}
