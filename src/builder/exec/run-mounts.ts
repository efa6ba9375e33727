// RUN --mount: each --mount value expanded and parsed, then resolved into what the engine
// mounts (ports.StepMount) and the step's cache-key part. The key covers what a bind
// shows (the context content digest, as COPY's, or the stage/image ID) and each mount's
// shape; never a cache dir's content and never a secret's value.
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Run } from '../dockerfile/ast.ts';
import { DockerfileError } from '../dockerfile/lines.ts';
import { parseMount, type MountSpec } from '../dockerfile/mounts.ts';
import { expandWord } from '../dockerfile/words.ts';
import { covers, selectSources, selectionDigest } from '../context/select.ts';
import type { StepMount } from './ports.ts';
import { copyTar, type CopyPlan } from './copy-tar.ts';
import type { StageState, StepEnv } from './state.ts';

export interface ResolvedMounts {
  mounts: StepMount[];
  /** The cache key's part for the mounts ('' when there are none). */
  key: string;
}

export async function resolveMounts(
  env: StepEnv,
  st: StageState,
  ins: Run,
  vars: ReadonlyMap<string, string>,
): Promise<ResolvedMounts> {
  if (!ins.mounts.length) return { mounts: [], key: '' };
  const mounts: StepMount[] = [];
  const key: string[] = [];
  const targets = new Set<string>();
  for (const raw of ins.mounts) {
    const spec = parseMount(expandWord(raw, vars, env.escape, ins.line), ins.line, st.config.WorkingDir || '/');
    if (targets.has(spec.target)) throw new DockerfileError(ins.line, `duplicate mount target ${spec.target}`);
    targets.add(spec.target);
    const m = await resolveOne(env, spec, ins.line);
    if (!m) {
      key.push(`secret ${spec.id} ${spec.target} absent`);
      continue;
    }
    mounts.push(m.mount);
    key.push(m.key);
  }
  return { mounts, key: key.join('\n') };
}

async function resolveOne(
  env: StepEnv,
  spec: MountSpec,
  line: number,
): Promise<{ mount: StepMount; key: string } | undefined> {
  const { target, readonly } = spec;
  switch (spec.type) {
    case 'cache': {
      const m = {
        type: 'cache' as const,
        target,
        id: spec.id!,
        sharing: spec.sharing,
        readonly,
        mode: spec.mode ?? 0o755,
        uid: spec.uid ?? 0,
        gid: spec.gid ?? 0,
      };
      return { mount: m, key: `cache ${JSON.stringify([m.id, target, m.sharing, readonly, m.mode, m.uid, m.gid])}` };
    }
    case 'tmpfs':
      return { mount: { type: 'tmpfs', target, size: spec.size }, key: `tmpfs ${target} ${spec.size ?? ''}` };
    case 'secret': {
      const data = env.req.secrets?.get(spec.id!);
      if (!data) {
        if (spec.required)
          throw new DockerfileError(
            line,
            `secret ${spec.id} is required but was not provided (berth build --secret id=${spec.id},src=<file>)`,
          );
        return undefined; // BuildKit: an optional secret that is not there is simply absent
      }
      const m = {
        type: 'secret' as const,
        target,
        data,
        mode: spec.mode ?? 0o400,
        uid: spec.uid ?? 0,
        gid: spec.gid ?? 0,
      };
      return { mount: m, key: `secret ${JSON.stringify([spec.id, target, m.mode, m.uid, m.gid])}` };
    }
    case 'bind': {
      if (spec.from !== undefined) {
        const image =
          env.built.get(spec.from.toLowerCase()) ??
          (await env.ports.resolveImage(spec.from, { pull: false }, env.signal, (l) => env.out.stream(l))).id;
        const path = posix.resolve('/', spec.source ?? '/');
        return {
          mount: { type: 'bind', target, readonly, image, path },
          key: `bind ${JSON.stringify([image, path, target, readonly])}`,
        };
      }
      return contextBind(env, spec, line);
    }
  }
}

function contextBind(env: StepEnv, spec: MountSpec, line: number): { mount: StepMount; key: string } {
  const index = env.req.context.index;
  const src = spec.source ?? '.';
  if (/[*?[]/.test(src))
    throw new DockerfileError(line, `bind mount source ${JSON.stringify(src)}: wildcards are not allowed`);
  let sel;
  try {
    [sel] = selectSources(index, [src]);
  } catch (err) {
    throw new DockerfileError(
      line,
      `bind mount source ${JSON.stringify(src)}: ${(err as Error).message.replace(/^COPY failed: /, '')}`,
    );
  }
  const digest = selectionDigest(index, [sel]);
  const path = sel.isDir ? '/' : '/' + (sel.name || 'source');
  const plan: CopyPlan = { selected: [sel], dest: path, destIsDir: sel.isDir, mkdirs: [] };
  const tar = async (): Promise<Readable> =>
    copyTar(plan, env.req.context.open(covers([sel])), {
      keepOwner: false,
      stripTop: false,
      allowed: (n) => index.entries.has(n),
    });
  return {
    mount: { type: 'bind', target: spec.target, readonly: spec.readonly, tar, path },
    key: `bind context ${JSON.stringify([digest, path, spec.target, spec.readonly])}`,
  };
}
