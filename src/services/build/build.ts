// POST /build (the legacy builder): the body is a context tar (plain or compressed) or a
// bare Dockerfile. The context is read once — spooled to <data-root>/build/tmp and indexed
// with content hashes — then the executor runs; the spool goes when the build ends. From
// `berth build` the body may instead complete a context kept by ContextStore.
import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { invalidArgument } from '../../common/errors.ts';
import { familiarString, parseReference, withDefaultTag, type Reference } from '../../common/reference.ts';
import { decompress } from '../../snapshots/decompress.ts';
import { indexContext, looksLikeArchive, type ContextIndex } from '../../builder/context/index.ts';
import { createMatcher, parseDockerignore } from '../../common/dockerignore.ts';
import { parseDockerfile } from '../../builder/dockerfile/parser.ts';
import { DockerfileError, located } from '../../builder/dockerfile/lines.ts';
import { executeBuild } from '../../builder/exec/executor.ts';
import { shortId } from '../../common/ids.ts';
import type { BuildRequest } from '../../builder/exec/types.ts';
import type { BuildPorts } from '../../builder/exec/ports.ts';
import type { Dockerfile } from '../../builder/dockerfile/ast.ts';
import { BuildCache } from './cache.ts';
import type { Credentials } from '../../registry/auth.ts';
import { buildPorts } from './ports.ts';
import { parsePlatform, platformString } from '../../registry/manifest.ts';
import { BUILD_LABEL, type BuildDeps } from './deps.ts';
import type { OpContext } from '../../common/context.ts';
import { removeContainer } from '../containers/remove.ts';
import { sweepStepMounts } from './step-mounts.ts';
import type { ProgressMessage } from '../../api/types/progress.ts';

/** What a build is asked for: the executor's request, with the Dockerfile still a path. */
export type BuildOptions = Omit<BuildRequest, 'dockerfile' | 'fileName' | 'context'> & {
  tags: string[];
  dockerfile: string;
  quiet: boolean;
  /** X-Registry-Config: credentials by registry host, for FROM pulls. */
  registryAuth?: Record<string, Credentials>;
  /** A session from POST /build/context: the body then holds only the files it asked for. */
  contextSession?: string;
  /** outputs (API 1.40+), checked: only the default image output. */
  outputs?: { Type?: string; Attrs?: Record<string, string> }[];
};

export type BuildEmit = (msg: ProgressMessage) => void;

interface Spooled {
  index: ContextIndex;
  path?: string;
  dockerfile: string;
  fileName: string;
}

async function readContext(deps: BuildDeps, body: Readable, dockerfile: string): Promise<Spooled> {
  const { stream } = await decompress(body);
  const it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < 512) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    len += r.value.length;
  }
  const first = Buffer.concat(head);
  const rest = Readable.from(
    (async function* () {
      yield first;
      if (!done) for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    })(),
  );
  if (!looksLikeArchive(first) && len > 0) {
    // A bare Dockerfile: an empty context.
    const chunks: Buffer[] = [];
    for await (const c of rest) chunks.push(c as Buffer);
    return {
      index: { entries: new Map(), captured: new Map() },
      dockerfile: Buffer.concat(chunks).toString('utf8'),
      fileName: 'Dockerfile',
    };
  }
  mkdirSync(join(deps.dir, 'tmp'), { recursive: true, mode: 0o700 });
  const path = join(deps.dir, 'tmp', `ctx-${randomBytes(8).toString('hex')}.tar`);
  const fd = openSync(path, 'w', 0o600);
  let index: ContextIndex;
  try {
    index = await indexContext(rest, [dockerfile, 'dockerfile', '.dockerignore'], (c) => {
      writeSync(fd, c);
    });
  } catch (err) {
    closeSync(fd);
    await rm(path, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    return { index, path, ...dockerfileOf(index, dockerfile) };
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}

/** --platform: parsed as Docker does; Berth builds and runs linux images only. */
function checkBuildPlatform(platform: string): void {
  const p = parsePlatform(platform);
  if (p.os !== 'linux')
    throw invalidArgument(`unsupported platform ${platformString(p)}: Berth builds linux images only`);
}

/**
 * outputs (API 1.40+): the legacy builder's result is an image in the daemon, which is the
 * default output; exporting elsewhere (local, tar, registry…) needs BuildKit's session, which
 * this protocol lacks — refused rather than ignored.
 */
function checkOutputs(outputs: { Type?: string; Attrs?: Record<string, string> }[] | undefined): void {
  if (!outputs?.length) return;
  if (outputs.length > 1) throw invalidArgument('multiple outputs not supported');
  const type = outputs[0]?.Type ?? '';
  if (type !== 'moby' && type !== 'image' && type !== 'docker')
    throw invalidArgument(
      `build output of type ${JSON.stringify(type)} is not supported: Berth's builder (the legacy protocol) makes an image in berthd only (type "moby")`,
    );
  const attrs = outputs[0].Attrs ?? {};
  for (const k of Object.keys(attrs))
    if (k !== 'name')
      throw invalidArgument(`build output attribute ${JSON.stringify(k)} is not supported (only "name", as the tags)`);
}

/** Finds the Dockerfile in an indexed context and applies the context's .dockerignore. */
function dockerfileOf(index: ContextIndex, dockerfile: string): { dockerfile: string; fileName: string } {
  const name = posix.normalize(dockerfile.replace(/^\/+/, ''));
  let text = index.captured.get(name);
  if (text === undefined && name === 'Dockerfile') text = index.captured.get('dockerfile');
  if (text === undefined) throw invalidArgument(`Cannot locate specified Dockerfile: ${dockerfile}`);
  // .dockerignore applies on the daemon side too; the Dockerfile and .dockerignore themselves are removed when listed.
  const ignore = index.captured.get('.dockerignore');
  if (ignore) {
    const m = createMatcher(parseDockerignore(ignore.toString('utf8')));
    for (const k of [...index.entries.keys()]) if (m.excluded(k)) index.entries.delete(k);
  }
  return { dockerfile: text.toString('utf8'), fileName: posix.basename(name) };
}

function parse(text: string, fileName: string): Dockerfile {
  try {
    return parseDockerfile(text);
  } catch (err) {
    if (err instanceof DockerfileError) throw located(fileName, err);
    throw err;
  }
}

/** A client that hangs up cancels the build (its containers and spools go). */
export async function buildImage(
  deps: BuildDeps,
  ctx: OpContext,
  opts: BuildOptions,
  body: Readable,
  emit: BuildEmit,
): Promise<string> {
  const tags = opts.tags.map((t) => withDefaultTag(parseReference(t)));
  const dockerfile = opts.dockerfile || 'Dockerfile';
  if (opts.platform) checkBuildPlatform(opts.platform);
  checkOutputs(opts.outputs);
  if (opts.contextSession) {
    // berth build's incremental transfer: the body holds only the files berthd lacked.
    return deps.contexts.receive(
      opts.contextSession,
      body,
      [dockerfile, 'dockerfile', '.dockerignore'],
      (index, open) => runBuild(deps, ctx, opts, tags, { index, ...dockerfileOf(index, dockerfile) }, open, emit),
    );
  }
  const spooled = await readContext(deps, body, dockerfile);
  try {
    const open = () => (spooled.path ? createReadStream(spooled.path, { highWaterMark: 1 << 20 }) : Readable.from([]));
    return await runBuild(deps, ctx, opts, tags, spooled, open, emit);
  } finally {
    if (spooled.path) await rm(spooled.path, { force: true });
  }
}

async function runBuild(
  deps: BuildDeps,
  op: OpContext,
  opts: BuildOptions,
  tags: Reference[],
  ctx: Omit<Spooled, 'path'>,
  open: () => Readable,
  emit: BuildEmit,
): Promise<string> {
  const signal = op.signal;
  const dockerfile = parse(ctx.dockerfile, ctx.fileName);
  const cache = new BuildCache(deps.dir, deps.containers.images);
  // The executor's request is the options minus what only this layer uses.
  const { tags: _t, dockerfile: _d, quiet: _q, registryAuth: _a, contextSession: _s, outputs: _o, ...rest } = opts;
  const req: BuildRequest = { ...rest, dockerfile, fileName: ctx.fileName, context: { index: ctx.index, open } };
  // -q: dockerd keeps the whole output back and sends it only when the build fails (before
  // the error, so the CLI and SDKs can show what happened); a success sends just the ID.
  const kept = opts.quiet ? new KeptOutput() : undefined;
  const show: BuildEmit = kept ? (m) => kept.add(m) : emit;
  const out = { stream: (text: string) => show({ stream: text }) };
  const held = deps.inUse.track();
  try {
    const { id } = await executeBuild(
      holding(buildPorts(deps, op.log, cache, opts.registryAuth), held.add),
      req,
      out,
      signal,
    );
    show({ aux: { ID: id } });
    show({ stream: `Successfully built ${shortId(id)}\n` });
    for (const t of tags) {
      await deps.containers.images.tag(id as never, t);
      deps.containers.events.publish('image', 'tag', id, { name: familiarString(t) });
      show({ stream: `Successfully tagged ${familiarString(t)}\n` });
    }
    if (opts.quiet) emit({ stream: `${id}\n` });
    return id;
  } catch (err) {
    kept?.flush(emit);
    throw err;
  } finally {
    held.release();
  }
}

/** A quiet build's output, held until it fails: the last 8 MiB of it at most. */
class KeptOutput {
  static readonly MAX = 8 << 20;
  #msgs: ProgressMessage[] = [];
  #bytes = 0;
  #cut = false;
  add(m: ProgressMessage): void {
    const size = typeof m.stream === 'string' ? m.stream.length : 64;
    this.#msgs.push(m);
    this.#bytes += size;
    while (this.#bytes > KeptOutput.MAX && this.#msgs.length > 1) {
      const gone = this.#msgs.shift()!;
      this.#bytes -= typeof gone.stream === 'string' ? gone.stream.length : 64;
      this.#cut = true;
    }
  }
  flush(emit: BuildEmit): void {
    if (this.#cut) emit({ stream: '[earlier output cut]\n' });
    for (const m of this.#msgs) emit(m);
    this.#msgs = [];
  }
}

/** The ports with every image the build stands on or makes held until it ends (see in-use.ts). */
function holding(p: BuildPorts, add: (id: string | undefined) => void): BuildPorts {
  const keep =
    <A extends unknown[]>(f: (...a: A) => Promise<string | undefined>) =>
    async (...a: A) => {
      const id = await f(...a);
      add(id);
      return id;
    };
  return {
    ...p,
    resolveImage: async (...a) => {
      const b = await p.resolveImage(...a);
      add(b.id);
      return b;
    },
    cacheGet: keep(p.cacheGet.bind(p)),
    commit: keep(p.commit.bind(p)) as BuildPorts['commit'],
    commitLayer: keep(p.commitLayer.bind(p)) as BuildPorts['commitLayer'],
    ...(p.cacheFrom ? { cacheFrom: keep(p.cacheFrom.bind(p)) } : {}),
  };
}

/** Start-up: spools and build containers a killed berthd left behind. */
export async function cleanBuildLeftovers(deps: BuildDeps, ctx: OpContext): Promise<void> {
  sweepStepMounts(deps.dir); // RUN --mount tmpfs/secrets under tmp/ must go before rm
  await rm(join(deps.dir, 'tmp'), { recursive: true, force: true });
  const cd = deps.containers;
  for (const c of cd.store.list()) {
    if (c.record.config.Labels?.[BUILD_LABEL] !== undefined) {
      await removeContainer(cd, ctx, c.record.id, { force: true, volumes: true }).catch((err) =>
        ctx.log.warn('removing a leftover build container failed', { container: c.record.id, err }),
      );
    }
  }
}
