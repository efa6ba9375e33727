// The filesystem-changing steps: RUN (a container running the command), COPY/ADD (a
// container the files are extracted into) and WORKDIR (creates the directory). Each is
// probed in the cache first; on a miss its container is committed as the next image and
// removed (unless --rm=false; always on failure with --force-rm or cancellation).
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { invalidArgument } from '../../common/errors.ts';
import type { Copy, Run } from '../dockerfile/ast.ts';
import { DockerfileError } from '../dockerfile/lines.ts';
import { expandWord } from '../dockerfile/words.ts';
import type { RunConfig } from '../../oci/image-spec.ts';
import { covers, selectSources, selectionDigest, type Selected } from '../context/select.ts';
import type { Downloaded } from './ports.ts';
import { resolveMounts } from './run-mounts.ts';
import { copyHeredocs } from './copy-heredoc.ts';
import type { StepFailure } from './types.ts';
import { commandArgs, nop, shellOf } from './meta.ts';
import { concatTars, contextFile, copyTar, type CopyPlan } from './copy-tar.ts';
import { TarWriter } from '../../tar/writer.ts';
import { scopeEnv, type StageState, type StepEnv } from './state.ts';
import { containerStep, missingDirs } from './container-step.ts';
import { shortId } from '../../common/ids.ts';

/** Args in scope not overridden by ENV, sorted, as Docker lists them (`|2 A=1 B=2`). */
function argsInScope(st: StageState): string[] {
  const env = new Set((st.config.Env ?? []).map((e) => e.split('=')[0]));
  return [...st.args]
    .filter(([k]) => !env.has(k))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`);
}

export async function runRun(env: StepEnv, st: StageState, ins: Run): Promise<void> {
  const { mounts, key } = await resolveMounts(env, st, ins, scopeEnv(st));
  const here = ins.heredocs.length && !ins.command.json ? heredocScript(ins) : undefined;
  let cmd = here ? [...shellOf(st.config), here.script] : commandArgs(st.config, ins.command);
  const args = argsInScope(st);
  const createdBy = (args.length ? `|${args.length} ${args.join(' ')} ` : '') + cmd.join(' ');
  if (here?.only && here.script.startsWith('#!')) {
    // A script with its own interpreter runs as a file (BuildKit's /dev/pipes/<name>).
    const target = `/dev/pipes/${ins.heredocs[0].name}`;
    mounts.push({ type: 'file', target, data: Buffer.from(here.script), mode: 0o755 });
    cmd = [target];
  }
  const network = ins.network ?? env.req.network;
  const runConfig: RunConfig = {
    ...st.config,
    Cmd: cmd,
    Entrypoint: undefined,
    Env: [...(st.config.Env ?? []), ...args],
  };
  await containerStep({ ...env, req: { ...env.req, network } }, st, {
    createdBy,
    cfg: st.config,
    runConfig,
    mounts,
    files: key || undefined,
    fill: async (ctr) => {
      env.out.stream(` ---> Running in ${shortId(ctr)}\n`);
      const code = await env.ports.run(ctr, (c) => env.out.stream(c.toString('utf8')), env.signal);
      if (code !== 0) {
        const err: StepFailure = new Error(`The command '${cmd.join(' ')}' returned a non-zero code: ${code}`);
        err.code = code;
        throw err;
      }
    },
  });
}

/**
 * The script of a RUN with heredocs, left to the shell as BuildKit does: a RUN that is only
 * `<<EOF` runs the body itself; otherwise the line and its bodies go to the shell, which
 * applies its own heredoc rules (a quoted delimiter means no expansion).
 */
function heredocScript(ins: Run): { script: string; only: boolean } {
  const text = ins.command.json ? '' : ins.command.text;
  const [h] = ins.heredocs;
  const only = /^<<-?\s*(["']?)([A-Za-z0-9_.-]+)\1$/.exec(text.trim());
  if (ins.heredocs.length === 1 && only && only[2] === h.name) return { script: h.content, only: true };
  return { script: ins.heredocs.reduce((t, d) => `${t}\n${d.content}${d.name}`, text), only: false };
}

export async function runWorkdir(env: StepEnv, st: StageState, ins: { line: number }, value: string): Promise<void> {
  const dir = posix.resolve(st.config.WorkingDir || '/', value);
  const cfg = { ...st.config, WorkingDir: dir };
  const createdBy = nop(cfg, `WORKDIR ${dir}`, false);
  const exists = st.image ? await env.ports.isDir(st.image, dir) : false;
  void ins;
  await containerStep(env, st, {
    createdBy,
    cfg,
    tar: async () => {
      const plan: CopyPlan = {
        selected: [],
        dest: dir,
        destIsDir: true,
        mkdirs: exists ? [] : await missingDirs(env, st.image, dir),
      };
      return copyTar(plan, Readable.from([]), { keepOwner: false, stripTop: false });
    },
  });
}

function parseChmod(v: string | undefined, line: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-7]{3,4}$/.test(v)) throw new DockerfileError(line, `invalid chmod parameter: ${v}`);
  return parseInt(v, 8);
}

async function ownerFor(
  env: StepEnv,
  st: StageState,
  spec: string | undefined,
): Promise<{ uid: number; gid: number } | undefined> {
  if (!spec) return undefined;
  const m = /^(\d+)(?::(\d+))?$/.exec(spec);
  if (m) return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
  return env.ports.lookupUser(st.image, spec);
}

export async function runCopy(env: StepEnv, st: StageState, ins: Copy): Promise<void> {
  const vars = scopeEnv(st);
  const ex = (w: string) => expandWord(w, vars, env.escape, ins.line);
  const sources = ins.sources.map(ex);
  const rawDest = ex(ins.dest);
  const dest = posix.resolve(st.config.WorkingDir || '/', rawDest);
  const chmod = parseChmod(ins.chmod, ins.line);
  const owner = await ownerFor(env, st, ins.chown ? ex(ins.chown) : undefined);
  const trailing = rawDest.endsWith('/') || rawDest.endsWith('/.') || rawDest === '.';
  if (ins.heredocs.length) return copyHeredocs(env, st, ins, { vars, dest, trailing, owner, chmod });
  if (ins.from !== undefined) return copyFrom(env, st, ins, ex(ins.from), sources, dest, trailing, owner, chmod);
  const urls = sources.filter((s) => ins.kind === 'ADD' && /^https?:\/\//.test(s));
  if (urls.length) return addUrl(env, st, ins, urls, sources.length, dest, trailing, owner, chmod);
  if (ins.checksum) throw new DockerfileError(ins.line, '--checksum can only be used with HTTP(S) sources');
  const selected = selectSources(env.req.context.index, sources);
  const destIsDir =
    trailing ||
    selected.length > 1 ||
    (selected.length === 1 && selected[0].isDir) ||
    (st.image ? await env.ports.isDir(st.image, dest) : false);
  if (selected.length > 1 && !trailing && sources.length > 1)
    throw invalidArgument(
      `When using ${ins.kind} with more than one source file, the destination must be a directory and end with a /`,
    );
  const digest = selectionDigest(env.req.context.index, selected);
  const kind = selected.length > 1 ? 'multi' : selected[0].isDir ? 'dir' : 'file';
  const flags = `${owner ? ` chown=${owner.uid}:${owner.gid}` : ''}${chmod !== undefined ? ` chmod=${chmod.toString(8)}` : ''}`;
  const shown = trailing && dest !== '/' ? dest + '/' : dest;
  const createdBy = nop(st.config, `${ins.kind} ${kind}:${digest} in ${shown}${flags} `, false);
  const archives =
    ins.kind === 'ADD' ? selected.filter((s) => !s.isDir && env.req.context.index.entries.get(s.root)?.archive) : [];
  await containerStep(env, st, {
    createdBy,
    cfg: st.config,
    files: digest,
    tar: async () => {
      const plain = selected.filter((s) => !archives.includes(s));
      const mkdirs = await missingDirs(env, st.image, destIsDir ? dest : posix.dirname(dest));
      const plan: CopyPlan = { selected: plain, dest, destIsDir, owner, chmod, mkdirs };
      const parts: Readable[] = [];
      if (plain.length || mkdirs.length)
        parts.push(
          copyTar(plan, plain.length ? env.req.context.open(covers(plain)) : Readable.from([]), {
            keepOwner: false,
            stripTop: false,
            allowed: (n) => env.req.context.index.entries.has(n),
          }),
        );
      // A local archive is extracted at the destination directory (Docker's ADD).
      for (const a of archives) {
        const body = await env.ports.decompress(
          await contextFile(
            env.req.context.open((n) => n === a.root),
            a.root,
          ),
        );
        const into: CopyPlan = {
          selected: [{ root: '', isDir: true, name: '' }],
          dest: destIsDir ? dest : posix.dirname(dest),
          destIsDir: true,
          owner,
          chmod,
          mkdirs: [],
        };
        const limit = (await env.ports.archiveLimit?.()) ?? Number.MAX_SAFE_INTEGER;
        parts.push(
          copyTar(into, body, {
            keepOwner: true,
            stripTop: false,
            guard: { source: a.root, dest: into.dest, limit, declared: 0 },
          }),
        );
      }
      return concatTars(parts);
    },
  });
}

async function copyFrom(
  env: StepEnv,
  st: StageState,
  ins: Copy,
  from: string,
  sources: string[],
  dest: string,
  trailing: boolean,
  owner: { uid: number; gid: number } | undefined,
  chmod: number | undefined,
): Promise<void> {
  const image =
    env.built.get(from.toLowerCase()) ??
    (await env.ports.resolveImage(from, { pull: false }, env.signal, (l) => env.out.stream(l))).id;
  const multi = sources.length > 1;
  if (multi && !trailing)
    throw invalidArgument(
      `When using ${ins.kind} with more than one source file, the destination must be a directory and end with a /`,
    );
  const createdBy = nop(
    st.config,
    `${ins.kind} --from=${from} ${sources.join(' ')} in ${dest}${owner ? ` chown=${owner.uid}:${owner.gid}` : ''}${chmod !== undefined ? ` chmod=${chmod.toString(8)}` : ''} `,
    false,
  );
  await containerStep(env, st, {
    createdBy,
    cfg: st.config,
    files: image,
    tar: async () => {
      const parts: Readable[] = [];
      for (const src of sources) {
        const path = posix.resolve('/', src);
        const isDir = await env.ports.isDir(image, path);
        const sel: Selected = { root: '', isDir, name: posix.basename(path) };
        const destIsDir = trailing || multi || isDir || (st.image ? await env.ports.isDir(st.image, dest) : false);
        const mkdirs = await missingDirs(env, st.image, destIsDir ? dest : posix.dirname(dest));
        const plan: CopyPlan = { selected: [sel], dest, destIsDir, owner, chmod, mkdirs };
        const tar = await env.ports.copyFromImage(image, path, env.signal);
        parts.push(copyTar(plan, tar, { keepOwner: true, stripTop: true }));
      }
      return concatTars(parts);
    },
  });
}

async function addUrl(
  env: StepEnv,
  st: StageState,
  ins: Copy,
  urls: string[],
  count: number,
  dest: string,
  trailing: boolean,
  owner: { uid: number; gid: number } | undefined,
  chmod: number | undefined,
): Promise<void> {
  if (count !== urls.length)
    throw new DockerfileError(ins.line, 'ADD cannot mix URLs and local sources in this builder');
  const files: { name: string; got: Downloaded }[] = [];
  try {
    for (const u of urls) {
      const got = await env.ports.download(u, env.signal);
      files.push({ name: posix.basename(new URL(u).pathname) || 'index.html', got });
      if (ins.checksum && `sha256:${got.sha256}` !== ins.checksum)
        throw invalidArgument(`digest mismatch sha256:${got.sha256}: ${ins.checksum}`);
    }
    const destIsDir = trailing || urls.length > 1;
    const digest = createHash('sha256');
    for (const f of files) digest.update(f.name + '\0').update(f.got.sha256);
    const hex = digest.digest('hex');
    const createdBy = nop(st.config, `ADD file:${hex} in ${dest} `, false);
    await containerStep(env, st, {
      createdBy,
      cfg: st.config,
      files: hex,
      tar: async () => {
        const w = new TarWriter();
        const mkdirs = await missingDirs(env, st.image, destIsDir ? dest : posix.dirname(dest));
        const produce = (async () => {
          for (const d of mkdirs) await w.add({ name: d.slice(1) + '/', type: 'dir', mode: 0o755 });
          for (const f of files) {
            const name = (destIsDir ? posix.join(dest, f.name) : dest).slice(1);
            await w.add(
              {
                name,
                type: 'file',
                mode: chmod ?? 0o600,
                uid: owner?.uid ?? 0,
                gid: owner?.gid ?? 0,
                size: f.got.size,
                mtime: Math.floor(Date.now() / 1000),
              },
              f.got.open(),
            );
          }
          await w.finish();
        })();
        produce.catch((err) => w.stream.destroy(err as Error));
        return w.stream;
      },
    });
  } finally {
    for (const f of files) await f.got.release();
  }
}
