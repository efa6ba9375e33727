// Which stages a build needs and in what order their output is shown. Stages run as soon
// as the stages they read from (FROM <stage>, COPY --from, RUN --mount from=) are done, so
// independent ones run concurrently; only stages the target reaches are built (BuildKit's
// rule — the legacy builder built every stage before the target). Each stage writes into
// its own buffer; the buffers are shown in stage order, so the output reads as Docker's.
import type { Stage } from '../dockerfile/ast.ts';
import type { BuildOutput } from './types.ts';

export interface PlannedStage {
  stage: Stage;
  deps: number[];
}

/** Stage indices `stage` reads from among the stages before it. `fromName` is FROM expanded. */
function depsOf(stage: Stage, earlier: Stage[], fromName: string): number[] {
  const byRef = (ref: string): number[] => {
    if (ref.includes('$')) return earlier.map((s) => s.index); // expanded later: wait for all
    const r = ref.toLowerCase();
    return earlier.filter((s) => s.name?.toLowerCase() === r || String(s.index) === r).map((s) => s.index);
  };
  const out = new Set<number>(byRef(fromName));
  for (const ins of stage.instructions) {
    if ((ins.kind === 'COPY' || ins.kind === 'ADD') && ins.from !== undefined)
      for (const d of byRef(ins.from)) out.add(d);
    if (ins.kind === 'RUN') {
      for (const m of ins.mounts)
        for (const f of m.matchAll(/(?:^|,)\s*from=([^,]+)/gi)) for (const d of byRef(f[1].trim())) out.add(d);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** The stages the last one (the target) needs, in Dockerfile order, with their dependencies. */
export function planStages(stages: Stage[], fromName: (s: Stage) => string): PlannedStage[] {
  const deps = stages.map((s, i) => depsOf(s, stages.slice(0, i), fromName(s)));
  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of deps[i]) visit(d);
  };
  visit(stages.length - 1);
  return stages.flatMap((s, i) => (needed.has(i) ? [{ stage: s, deps: deps[i] }] : []));
}

/** Per-stage output shown in stage order: the earliest unfinished stage writes through. */
export class OrderedOutput {
  private readonly out: BuildOutput;
  private readonly buffers: string[][];
  private readonly done: boolean[];
  private current = 0;

  constructor(out: BuildOutput, count: number) {
    this.out = out;
    this.buffers = Array.from({ length: count }, () => []);
    this.done = Array.from({ length: count }, () => false);
  }

  writer(i: number): BuildOutput {
    return { stream: (text) => (i === this.current ? this.out.stream(text) : this.buffers[i].push(text)) };
  }

  /** Stage `i` ended: show the next stages' buffered output up to the next running one. */
  finish(i: number): void {
    this.done[i] = true;
    while (this.current < this.done.length && this.done[this.current]) {
      this.current++;
      if (this.current < this.buffers.length) this.flush(this.current);
    }
  }

  /** After a failure in stage `i`: what stages up to it wrote, in order. */
  flushThrough(i: number): void {
    for (let j = this.current; j <= i && j < this.buffers.length; j++) this.flush(j);
    this.current = this.buffers.length;
  }

  private flush(j: number): void {
    for (const t of this.buffers[j].splice(0)) this.out.stream(t);
  }
}
