// berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-
// berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH
//
// Docker's copy semantics: a directory destination receives the source under its own
// name; a destination that does not exist becomes the source renamed; `-` is a tar on
// stdin/stdout.
import { existsSync, lstatSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Client, ContainerPathStat as PathStat } from '../../client/index.ts';
import { ApiError } from '../../client/index.ts';
import { CliError, flagBool, type Command, type Ctx } from '../command.ts';
import { extractLocal, tarLocal } from './_cp-tar.ts';

const GO_DIR = 2 ** 31;
const isDirMode = (m: number) => m >= GO_DIR;

/** `name:path` with a name that is not a local path (Docker: anything before the first ':' without a '/'). */
function splitContainer(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0 || arg.slice(0, i).includes('/')) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

const enc = encodeURIComponent;
const archivePath = (id: string) => `/containers/${enc(id)}/archive`;

async function statIn(client: Client, id: string, path: string): Promise<PathStat | undefined> {
  try {
    const res = await client.transport.request('HEAD', archivePath(id), { query: { path } });
    res.resume();
    const h = res.headers['x-docker-container-path-stat'];
    return h ? (JSON.parse(Buffer.from(h, 'base64').toString()) as PathStat) : undefined;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}

async function copyFrom(ctx: Ctx, client: Client, id: string, src: string, dest: string): Promise<void> {
  let path = src;
  if (flagBool(ctx, 'follow-link')) {
    const st = await statIn(client, id, src);
    if (st?.linkTarget) path = st.linkTarget;
  }
  let res;
  try {
    res = await client.transport.request('GET', archivePath(id), { query: { path } });
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw new CliError(`Error response from daemon: ${e.message}`, 1);
    throw e;
  }
  if (dest === '-') {
    for await (const c of res) ctx.io.out(c as Buffer);
    return;
  }
  const st = JSON.parse(
    Buffer.from(res.headers['x-docker-container-path-stat'] ?? 'e30=', 'base64').toString(),
  ) as PathStat;
  const srcIsDir = isDirMode(st.mode);
  const name = posix.basename(path.replace(/\/+$/, '')) || '.';
  const local = lstatSync(dest, { throwIfNoEntry: false });
  if (local?.isDirectory() || (local?.isSymbolicLink() && statSync(dest, { throwIfNoEntry: false })?.isDirectory())) {
    return extractLocal(res, dest); // `src/.` arrives as `./…`: its contents land in dest
  }
  if (local && srcIsDir) throw new CliError(`cannot copy a directory to a file: ${dest}`, 1);
  if (!local && /\/$/.test(dest)) throw new CliError(`destination directory "${dest}" does not exist`, 1);
  // Write the source under a temporary name beside the destination, then rename it in place.
  const parent = dirname(dest);
  if (!existsSync(parent)) throw new CliError(`destination directory "${parent}" does not exist`, 1);
  const tmp = mkdtempSync(join(parent, '.berth-cp-'));
  try {
    await extractLocal(res, tmp, { from: name, to: 'x' });
    if (local) rmSync(dest, { force: true });
    renameSync(join(tmp, 'x'), dest);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function copyTo(ctx: Ctx, client: Client, src: string, id: string, dest: string): Promise<void> {
  const archive = flagBool(ctx, 'archive');
  const put = (path: string, body: Readable | NodeJS.ReadableStream) =>
    client.transport
      .request('PUT', archivePath(id), {
        query: { path, noOverwriteDirNonDir: true, copyUIDGID: archive || undefined },
        body,
        headers: { 'Content-Type': 'application/x-tar' },
      })
      .then((r) => {
        r.resume();
      });
  if (src === '-') return put(dest, ctx.stdin);
  const local = flagBool(ctx, 'follow-link')
    ? statSync(src, { throwIfNoEntry: false })
    : lstatSync(src, { throwIfNoEntry: false });
  if (!local) throw new CliError(`lstat ${src}: no such file or directory`, 1);
  const opts = { followLink: flagBool(ctx, 'follow-link'), keepOwner: archive };
  let st = await statIn(client, id, dest);
  if (st?.linkTarget) st = (await statIn(client, id, st.linkTarget)) ?? st;
  if (st && isDirMode(st.mode)) {
    const name = /\/\.$/.test(src) ? '.' : basename(src);
    return put(dest, tarLocal(src, name, opts));
  }
  if (st && local.isDirectory())
    throw new CliError(`Error response from daemon: cannot copy a directory to a file: ${dest}`, 1);
  if (!st && /\/$/.test(dest))
    throw new CliError(`Error response from daemon: Could not find the file ${dest} in container ${id}`, 1);
  const parent = posix.dirname(posix.normalize('/' + dest));
  return put(parent, tarLocal(src, posix.basename(dest), opts));
}

const command: Command = {
  name: 'cp',
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  short: 'Copy files/folders between a container and the local filesystem',
  aliases: 'berth container cp, berth cp',
  flags: [
    { name: 'archive', short: 'a', type: 'bool', description: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', type: 'bool', description: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output during copy' },
  ],
  args: { exact: 2 },
  async run(ctx) {
    const [a, b] = ctx.args as [string, string];
    const src = splitContainer(a);
    const dst = splitContainer(b);
    if (src.container && dst.container) throw new CliError('copying between containers is not supported', 1);
    if (!src.container && !dst.container) throw new CliError('must specify at least one container source', 1);
    const client = await ctx.client();
    if (src.container) {
      if (src.path === '') throw new CliError('source can not be empty', 1);
      await copyFrom(ctx, client, src.container, src.path, b);
      return 0;
    }
    if (dst.path === '') throw new CliError('destination can not be empty', 1);
    await copyTo(ctx, client, a, dst.container!, dst.path);
    return 0;
  },
};

export default command;
