// berth build's incremental context transfer: the context's manifest goes first (POST
// /build/context), berthd answers with the files it does not already hold from an earlier
// build of the same directory, and only those travel in the build request. Against an
// engine without the endpoint (dockerd, an older berthd) the whole context is sent.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { ApiError, type Transport } from '../../client/transport.ts';
import type { BuildContextEntry, BuildContextManifest, BuildContextOffer } from '../../client/index.ts';
import { tarOfWalk, type WalkedContext } from './_build-context.ts';

export interface ContextUpload {
  body: Readable;
  session?: string;
}

export async function uploadContext(t: Transport, dir: string, ctx: WalkedContext): Promise<ContextUpload> {
  // One kept context per client directory, as BuildKit's shared key.
  const key = createHash('sha256')
    .update(`berth-build-context\0${hostname()}\0${resolve(dir)}`)
    .digest('hex');
  const entries = ctx.entries.map(
    ({ name, st, linkname }): BuildContextEntry => ({
      name,
      type: st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file',
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: st.isFile() ? st.size : 0,
      mtime: st.mtimeMs,
      linkname,
    }),
  );
  if (ctx.outside) {
    const st = statSync(ctx.outside.path);
    entries.push({
      name: ctx.outside.name,
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: st.size,
      mtime: st.mtimeMs,
      linkname: '',
    });
  }
  let answer: BuildContextOffer;
  try {
    const body: BuildContextManifest = { entries };
    answer = await t.json('POST', '/build/context', { query: { key }, body });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return { body: tarOfWalk(ctx) };
    throw err;
  }
  return { body: tarOfWalk(ctx, new Set(answer.need)), session: answer.session };
}
