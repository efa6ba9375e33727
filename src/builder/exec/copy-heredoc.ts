// COPY/ADD <<EOF: each heredoc is a file named after its delimiter (or the destination
// itself for a single heredoc to a non-directory), mode 0644 unless --chmod, its body
// expanded with the build args and ENV in scope unless the delimiter was quoted.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Copy } from '../dockerfile/ast.ts';
import { DockerfileError } from '../dockerfile/lines.ts';
import { expandHeredoc } from '../dockerfile/words.ts';
import { TarWriter } from '../../tar/writer.ts';
import { nop } from './meta.ts';
import { containerStep, missingDirs } from './container-step.ts';
import type { StageState, StepEnv } from './state.ts';

export interface HeredocCopy {
  vars: ReadonlyMap<string, string>;
  /** Absolute, cleaned. */
  dest: string;
  trailing: boolean;
  owner?: { uid: number; gid: number };
  chmod?: number;
}

const HEREDOC_WORD = /^<<-?(["']?)([A-Za-z0-9_.-]+)\1$/;

export async function copyHeredocs(env: StepEnv, st: StageState, ins: Copy, o: HeredocCopy): Promise<void> {
  const files: { name: string; body: Buffer }[] = [];
  for (const src of ins.sources) {
    const m = HEREDOC_WORD.exec(src);
    const h = m && ins.heredocs.find((d) => d.name === m[2]);
    if (!h)
      throw new DockerfileError(
        ins.line,
        `${ins.kind} mixing heredocs and other sources is not supported by this builder`,
      );
    if (ins.from !== undefined) throw new DockerfileError(ins.line, `${ins.kind} --from cannot copy a heredoc`);
    const text = h.quoted ? h.content : expandHeredoc(h.content, o.vars, env.escape, ins.line);
    files.push({ name: h.name, body: Buffer.from(text) });
  }
  const destIsDir = o.trailing || files.length > 1 || (st.image ? await env.ports.isDir(st.image, o.dest) : false);
  const paths = files.map((f) => (destIsDir ? posix.join(o.dest, f.name) : o.dest));
  const digest = createHash('sha256');
  for (let i = 0; i < files.length; i++)
    digest.update(`${paths[i]}\0${createHash('sha256').update(files[i].body).digest('hex')}\n`);
  const hex = digest.digest('hex');
  const mode = o.chmod ?? 0o644;
  const flags = `${o.owner ? ` chown=${o.owner.uid}:${o.owner.gid}` : ''}${o.chmod !== undefined ? ` chmod=${o.chmod.toString(8)}` : ''}`;
  const shown = o.trailing && o.dest !== '/' ? o.dest + '/' : o.dest;
  const createdBy = nop(
    st.config,
    `${ins.kind} ${files.length > 1 ? 'multi' : 'file'}:${hex} in ${shown}${flags} `,
    false,
  );
  await containerStep(env, st, {
    createdBy,
    cfg: st.config,
    files: `heredoc:${hex}:${mode}:${o.owner?.uid ?? ''}:${o.owner?.gid ?? ''}`,
    tar: async () => {
      const mkdirs = await missingDirs(env, st.image, destIsDir ? o.dest : posix.dirname(o.dest));
      const w = new TarWriter();
      const mtime = Math.floor(Date.now() / 1000);
      const produce = (async () => {
        for (const d of mkdirs)
          await w.add({
            name: d.slice(1) + '/',
            type: 'dir',
            mode: 0o755,
            uid: o.owner?.uid ?? 0,
            gid: o.owner?.gid ?? 0,
          });
        for (let i = 0; i < files.length; i++) {
          await w.add(
            {
              name: paths[i].slice(1),
              type: 'file',
              mode,
              uid: o.owner?.uid ?? 0,
              gid: o.owner?.gid ?? 0,
              size: files[i].body.length,
              mtime,
            },
            files[i].body,
          );
        }
        await w.finish();
      })();
      produce.catch((err) => w.stream.destroy(err as Error));
      return w.stream;
    },
  });
}
