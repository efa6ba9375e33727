// The build executor: the stages the target needs (independent ones concurrently, output
// in stage order: stages.ts), each instruction dispatched as Docker's legacy builder does
// (Step N/M lines, a cache probe per step, RUN in a container, COPY/ADD through a
// container, metadata steps as config-only commits).
import { expandWord, expandWords } from '../dockerfile/words.ts';
import { DockerfileError, located } from '../dockerfile/lines.ts';
import { parseDockerfile } from '../dockerfile/parser.ts';
import type { Instruction, Stage } from '../dockerfile/ast.ts';
import { invalidArgument, notFound } from '../../common/errors.ts';
import { shortId } from '../../common/ids.ts';
import type { RunConfig } from '../../oci/image-spec.ts';
import type { BuildPorts } from './ports.ts';
import type { BuildOutput, BuildRequest } from './types.ts';
import { applyMeta, nop } from './meta.ts';
import { runCopy, runRun, runWorkdir } from './steps.ts';
import { scopeEnv, type StageState, type StepEnv } from './state.ts';
import { stepKey } from './cache-key.ts';
import { probeCache } from './probe.ts';
import { OrderedOutput, planStages } from './stages.ts';

const PROXY_ARGS = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
];

export interface BuildResult {
  id: string;
}

/** Runs the build; returns the target stage's image ID. Throws located errors. */
export async function executeBuild(
  ports: BuildPorts,
  req: BuildRequest,
  out: BuildOutput,
  signal: AbortSignal,
): Promise<BuildResult> {
  try {
    return await execute(ports, req, out, signal);
  } catch (err) {
    if (err instanceof DockerfileError) throw located(req.fileName, err);
    throw err;
  }
}

function pickStages(req: BuildRequest): Stage[] {
  const stages = req.dockerfile.stages;
  if (!stages.length) throw invalidArgument('the Dockerfile has no FROM instruction');
  if (!req.target) return stages;
  const i = stages.findIndex((s) => s.name?.toLowerCase() === req.target!.toLowerCase());
  if (i < 0) throw invalidArgument(`failed to reach build target ${req.target} in Dockerfile`);
  return stages.slice(0, i + 1);
}

async function execute(
  ports: BuildPorts,
  req: BuildRequest,
  out: BuildOutput,
  signal: AbortSignal,
): Promise<BuildResult> {
  const stages = pickStages(req).map((s) => ({ ...s, instructions: [...s.instructions] }));
  const labels = Object.entries(req.labels);
  if (labels.length) {
    const text = 'LABEL ' + labels.map(([k, v]) => `${JSON.stringify(k)}='${v.replace(/'/g, '')}'`).join(' ');
    const parsed = parseDockerfile(`FROM scratch\n${text}\n`).stages[0].instructions[0];
    stages.at(-1)!.instructions.push({ ...parsed, line: stages.at(-1)!.from.line });
  }
  const escChar = req.dockerfile.directives.escape;
  const used = new Set<string>();
  const argValue = (name: string, dflt: string | undefined): string | undefined => {
    if (Object.hasOwn(req.buildArgs, name) && req.buildArgs[name] !== null) {
      used.add(name);
      return req.buildArgs[name]!;
    }
    return dflt;
  };
  // Meta ARGs (before the first FROM) are in scope for FROM lines only.
  const meta = new Map<string, string>();
  for (const a of req.dockerfile.metaArgs) {
    for (const { name, value } of a.args) {
      const v = argValue(name, value === undefined ? undefined : expandWord(value, meta, escChar, a.line));
      if (v !== undefined) meta.set(name, v);
    }
  }
  const fromOf = (stage: Stage) => {
    try {
      return expandWord(stage.from.image, meta, escChar, stage.from.line);
    } catch {
      return '';
    }
  };
  const planned = planStages(stages, fromOf);
  const total = planned.reduce((n, p) => n + 1 + p.stage.instructions.length, 0);
  const shown = new OrderedOutput(out, planned.length);
  // One failure stops every stage; the first error is the build's.
  const ctl = new AbortController();
  const onAbort = () => ctl.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const finished = new Map<number, string>();
  const running = new Map<number, Promise<string>>();
  let failure: { err: unknown; at: number } | undefined;
  let step = 0;
  for (const [ord, p] of planned.entries()) {
    const first = step;
    step += 1 + p.stage.instructions.length;
    const run = (async () => {
      for (const d of p.deps) await running.get(d);
      // Stages before this one that are done, by index and name (what FROM/--from may name).
      const built = new Map<string, string>();
      for (const q of planned) {
        const img = finished.get(q.stage.index);
        if (q.stage.index >= p.stage.index || img === undefined) continue;
        built.set(String(q.stage.index), img);
        if (q.stage.name) built.set(q.stage.name.toLowerCase(), img);
      }
      const ctx: StageRun = {
        ports,
        req,
        out: shown.writer(ord),
        signal: ctl.signal,
        escape: escChar,
        meta,
        argValue,
        used,
        built,
      };
      const img = await runStage(ctx, p.stage, first, total);
      finished.set(p.stage.index, img);
      shown.finish(ord);
      return img;
    })();
    run.catch((err) => {
      if (failure) return;
      failure = { err, at: ord };
      ctl.abort(err);
    });
    running.set(p.stage.index, run);
  }
  await Promise.allSettled(running.values());
  signal.removeEventListener('abort', onAbort);
  if (failure) {
    shown.flushThrough(failure.at);
    throw failure.err;
  }
  const last = finished.get(planned.at(-1)!.stage.index)!;
  const unused = Object.keys(req.buildArgs).filter((k) => !used.has(k) && !PROXY_ARGS.includes(k) && !meta.has(k));
  if (unused.length) out.stream(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
  return { id: last };
}

type StageRun = StepEnv;

/** One stage: FROM, the base image's ONBUILD triggers, its instructions; its image ID. */
async function runStage(env: StageRun, stage: Stage, first: number, total: number): Promise<string> {
  const { ports, req, out, signal, escape: escChar, meta, built } = env;
  let step = first;
  signal.throwIfAborted();
  out.stream(`Step ${++step}/${total} : ${stage.from.original}\n`);
  const fromName = expandWord(stage.from.image, meta, escChar, stage.from.line);
  if (fromName === '')
    throw new DockerfileError(stage.from.line, 'base name (' + stage.from.image + ') should not be blank');
  let st: StageState;
  const prev = built.get(fromName.toLowerCase());
  if (prev !== undefined) {
    st = await stateFromImage(ports, prev, req, signal, out);
  } else if (fromName === 'scratch') {
    st = { image: '', config: {}, args: new Map() };
  } else {
    st = await stateFromImage(
      ports,
      fromName,
      { ...req, pull: req.pull },
      signal,
      out,
      stage.from.platform ? expandWord(stage.from.platform, meta, escChar, stage.from.line) : req.platform,
    );
  }
  if (st.image) out.stream(` ---> ${shortId(st.image)}\n`);
  // ONBUILD triggers of the base image run first, then are cleared (Docker).
  const triggers = st.config.OnBuild ?? [];
  if (triggers.length) {
    out.stream(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
    st.config = { ...st.config, OnBuild: undefined };
    for (const t of triggers) {
      const ins = parseDockerfile(`FROM scratch\n${t}\n`).stages[0].instructions[0];
      await dispatch(env, st, ins);
    }
  }
  for (const ins of stage.instructions) {
    signal.throwIfAborted();
    out.stream(`Step ${++step}/${total} : ${ins.original}\n`);
    await dispatch(env, st, ins);
  }
  if (!st.image) throw invalidArgument('No image was generated. Is your Dockerfile empty?');
  return st.image;
}

async function stateFromImage(
  ports: BuildPorts,
  name: string,
  req: BuildRequest,
  signal: AbortSignal,
  out: BuildOutput,
  platform?: string,
): Promise<StageState> {
  const img = await ports.resolveImage(name, { pull: req.pull, platform }, signal, (l) => out.stream(l));
  return { image: img.id, config: structuredClone(img.config ?? {}), args: new Map() };
}

/** Variables for expansion at this point: args in scope, ENV over them. */

async function dispatch(env: StepEnv, st: StageState, ins: Instruction): Promise<void> {
  const vars = scopeEnv(st);
  const expand = (w: string) => expandWord(w, vars, env.escape, ins.line);
  const expandAll = (t: string) => expandWords(t, vars, env.escape, ins.line);
  switch (ins.kind) {
    case 'FROM':
      throw new DockerfileError(ins.line, 'FROM inside a stage');
    case 'RUN':
      return runRun(env, st, ins);
    case 'COPY':
    case 'ADD':
      return runCopy(env, st, ins);
    case 'WORKDIR':
      return runWorkdir(env, st, ins, expand(ins.value));
    case 'ARG': {
      const parts: string[] = [];
      for (const { name, value } of ins.args) {
        const dflt = value === undefined ? env.meta.get(name) : expand(value);
        const v = env.argValue(name, dflt);
        if (v !== undefined) st.args.set(name, v);
        else st.args.delete(name);
        parts.push(value === undefined ? name : `${name}=${value}`);
      }
      return metaStep(env, st, nop(st.config, `ARG ${parts.join(' ')}`), st.config);
    }
    default: {
      const cfg: RunConfig = structuredClone(st.config);
      const createdBy = applyMeta(ins, cfg, expand, expandAll);
      return metaStep(env, st, createdBy, cfg);
    }
  }
}

/** A config-only step: cached like every step, committed without a container. */
async function metaStep(env: StepEnv, st: StageState, createdBy: string, cfg: RunConfig): Promise<void> {
  const key = stepKey({ parent: st.image, config: cfg, createdBy, files: [...st.args].join('\n') });
  const hit = await probeCache(env, key, st.image, createdBy, cfg);
  if (hit) {
    env.out.stream(` ---> Using cache\n ---> ${shortId(hit)}\n`);
  } else {
    if (!st.image && !createdBy) throw notFound('no image');
    const id = await env.ports.commit(null, st.image, cfg, { created_by: createdBy, empty_layer: true });
    await env.ports.cachePut(key, id);
    env.out.stream(` ---> ${shortId(id)}\n`);
    st.image = id;
    st.config = cfg;
    return;
  }
  st.image = hit;
  st.config = cfg;
}
