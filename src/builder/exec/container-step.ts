// One cached step: probe the cache; on a miss make the layer (from a tar, or from a
// container that is created, filled and committed) and record it under the step's key.
import type { Readable } from 'node:stream';
import type { HistoryEntry, RunConfig } from '../../oci/image-spec.ts';
import { shortId } from '../../common/ids.ts';
import type { StepMount } from './ports.ts';
import { stepKey } from './cache-key.ts';
import { probeCache } from './probe.ts';
import type { StageState, StepEnv } from './state.ts';

export interface Work {
  createdBy: string;
  files?: string;
  cfg: RunConfig;
  /** The container's config (RUN's command and env); defaults to cfg with a #(nop) Cmd. */
  runConfig?: RunConfig;
  /** RUN: works in the created container, which is committed. */
  fill?(container: string): Promise<void>;
  /** COPY/ADD/WORKDIR: the layer tar itself (no container). */
  tar?(): Promise<Readable>;
  history?: Partial<HistoryEntry>;
  /** RUN --mount sources, set up only when the step really runs. */
  mounts?: StepMount[];
}

/** Probe, else create a container, fill it, commit, remove. */
export async function containerStep(env: StepEnv, st: StageState, w: Work): Promise<void> {
  const key = stepKey({
    parent: st.image,
    config: w.cfg,
    createdBy: w.createdBy,
    files: w.files,
    platform: env.req.platform,
  });
  const hit = await probeCache(env, key, st.image, w.createdBy, w.cfg);
  if (hit) {
    env.out.stream(` ---> Using cache\n ---> ${shortId(hit)}\n`);
    st.image = hit;
    st.config = w.cfg;
    return;
  }
  if (w.tar) {
    const id = await env.ports.commitLayer(st.image, await w.tar(), w.cfg, { created_by: w.createdBy, ...w.history });
    await env.ports.cachePut(key, id);
    env.out.stream(` ---> ${shortId(id)}\n`);
    st.image = id;
    st.config = w.cfg;
    return;
  }
  const runConfig = w.runConfig ?? w.cfg;
  const mounts = w.mounts?.length ? await env.ports.prepareMounts(w.mounts, env.signal) : undefined;
  let ctr: string;
  try {
    ctr = await env.ports.create({
      image: st.image,
      config: runConfig,
      network: env.req.network,
      extraHosts: env.req.extraHosts,
      shmSize: env.req.shmSize,
      ulimits: env.req.ulimits,
      binds: mounts?.binds,
    });
  } catch (err) {
    await mounts?.release();
    throw err;
  }
  let ok = false;
  try {
    await w.fill!(ctr);
    env.signal.throwIfAborted();
    const id = await env.ports.commit(ctr, st.image, w.cfg, { created_by: w.createdBy, ...w.history });
    await env.ports.cachePut(key, id);
    ok = true;
    if (env.req.rm) {
      await env.ports.remove(ctr);
      env.out.stream(`Removing intermediate container ${shortId(ctr)}\n`);
    }
    env.out.stream(` ---> ${shortId(id)}\n`);
    st.image = id;
    st.config = w.cfg;
  } finally {
    if (!ok && (env.req.forceRm || env.signal.aborted || env.req.rm)) await env.ports.remove(ctr).catch(() => {});
    await mounts?.release();
  }
}

/** Missing directories from `/` down to `dir` in the image (created 0755 as Docker does). */
export async function missingDirs(env: StepEnv, image: string, dir: string): Promise<string[]> {
  const parts = dir.split('/').filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i <= parts.length; i++) {
    const p = '/' + parts.slice(0, i).join('/');
    if (out.length || !image || !(await env.ports.isDir(image, p))) out.push(p);
  }
  return out;
}
