// The executor's ports, implemented with the container and image services. Every build
// container carries BUILD_LABEL so start-up can remove what a crash left behind.
import { lstat, statfs } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Digest } from '../../common/digest.ts';
import { chainIds } from '../../common/digest.ts';
import { invalidArgument, messageOf } from '../../common/errors.ts';
import { parseReference, withDefaultTag, familiarString } from '../../common/reference.ts';
import type { BuildPorts, BaseImage } from '../../builder/exec/ports.ts';
import { decompress } from '../../snapshots/decompress.ts';
import type { Image } from '../../images/types.ts';
import { createContainer } from '../containers/create.ts';
import { startContainer } from '../containers/start.ts';
import { waitContainer } from '../containers/wait.ts';
import { removeContainer } from '../containers/remove.ts';
import { killContainer } from '../containers/stop.ts';
import { containerLogs } from '../containers/logs.ts';
import { archiveGet } from '../containers/archive-get.ts';
import { BUILD_LABEL, type BuildDeps } from './deps.ts';
import type { BuildCache } from './cache.ts';
import { commitStep } from './commit-step.ts';
import { downloadUrl } from './download.ts';
import { prepareStepMounts } from './step-mounts.ts';
import { cacheFromHit, inCacheFromChain } from './cache-from.ts';
import { parsePlatform } from '../../registry/manifest.ts';
import { authFor } from './registry-auth.ts';
import type { Credentials } from '../../registry/auth.ts';
import type { Logger } from '../../common/logger.ts';
import { background } from '../../common/context.ts';

const baseOf = (img: Image): BaseImage => ({
  id: img.id,
  config: img.doc.config ?? {},
  history: img.doc.history ?? [],
  layers: img.doc.rootfs.diff_ids.length,
});

/** Most bytes one build input (an ADD archive's contents, a download) may take: half the free space. */
async function spaceLimit(dir: string): Promise<number> {
  const s = await statfs(dir);
  return Math.floor((Number(s.bavail) * Number(s.bsize)) / 2);
}

function matchesPlatform(doc: { os?: string; architecture?: string; variant?: string }, platform: string): boolean {
  const want = parsePlatform(platform);
  return (
    doc.os === want.os &&
    doc.architecture === want.architecture &&
    (!want.variant || !doc.variant || doc.variant === want.variant)
  );
}

export function buildPorts(
  deps: BuildDeps,
  log: Logger,
  cache: BuildCache,
  registryAuth?: Record<string, Credentials>,
): BuildPorts {
  const fs = deps.fs;
  const cd = deps.containers;
  const op = (signal: AbortSignal) => ({ signal, log });
  // Cleanup runs to the end even when the build was cancelled.
  const cleanup = background(log);
  const lowers = (image: string) => {
    const img = cd.images.get(image as Digest);
    if (!img) return [];
    const chain = chainIds(img.doc.rootfs.diff_ids);
    return chain.length ? cd.layers.lowerDirs(chain[chain.length - 1]) : [];
  };
  const readImageFile = (image: string, path: string) => cd.layers.readFile(lowers(image), undefined, path, 1 << 20);
  return {
    async resolveImage(name, opts, signal, emit) {
      const find = () => {
        try {
          return cd.images.resolve(name);
        } catch {
          return undefined;
        }
      };
      let img = opts.pull ? undefined : find();
      // A local image of another platform than asked for is not the one: pull it (Docker's
      // builder looks the image up by platform, then pulls).
      if (img && opts.platform && !matchesPlatform(img.doc, opts.platform)) img = undefined;
      if (!img) {
        const ref = withDefaultTag(parseReference(name));
        await deps.pull(
          { fromImage: familiarString(ref), platform: opts.platform, auth: authFor(registryAuth, ref.domain) },
          signal,
          (m) => {
            if (typeof m.status === 'string' && !m.progressDetail) emit(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
          },
        );
        img = cd.images.resolve(name);
      }
      return baseOf(img);
    },
    async create(req) {
      if (!req.image) throw invalidArgument('cannot run a command in a stage without a base image (FROM scratch)');
      const cfg = req.config;
      const res = await createContainer(cd, cleanup, {
        body: {
          ...cfg,
          Image: req.image,
          Labels: { ...cfg.Labels, [BUILD_LABEL]: '1' },
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
          OpenStdin: false,
          HostConfig: {
            // The step's output is read back from its log: json-file, whatever the daemon's default.
            LogConfig: { Type: 'json-file', Config: {} },
            NetworkMode: req.network || 'default',
            ExtraHosts: req.extraHosts ?? [],
            ...(req.shmSize ? { ShmSize: req.shmSize } : {}),
            ...(req.binds?.length ? { Binds: req.binds } : {}),
            ...(req.ulimits?.length ? { Ulimits: req.ulimits } : {}),
          },
        },
      });
      return res.Id;
    },
    prepareMounts: (mounts, signal) => prepareStepMounts(deps, lowers, mounts, signal),
    async run(container, out, signal) {
      const onAbort = () => {
        void killContainer(cd, cleanup, container, { signal: 'KILL' }).catch(() => {});
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await startContainer(cd, op(signal), container);
        const logs = containerLogs(cd, op(signal), container, { follow: true, stdout: true, stderr: true });
        for await (const c of logs.chunks) out(c.data);
        signal.throwIfAborted();
        const r = await waitContainer(cd, op(signal), container, { condition: 'not-running' });
        return r.StatusCode;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async copyFromImage(image, path, signal) {
      const res = await createContainer(cd, cleanup, {
        body: { Image: image, Cmd: ['#(nop) copy'], Labels: { [BUILD_LABEL]: '1' } },
      });
      let stream: Readable;
      try {
        ({ stream } = await archiveGet(fs, op(signal), res.Id, { path }));
      } catch (err) {
        await removeContainer(cd, cleanup, res.Id, { force: true, volumes: true }).catch(() => {});
        throw err;
      }
      const remove = () => {
        void removeContainer(cd, cleanup, res.Id, { force: true, volumes: true }).catch(() => {});
      };
      stream.once('close', remove);
      stream.once('error', remove);
      return stream;
    },
    async isDir(image, path) {
      for (const dir of lowers(image)) {
        const p = join(dir, path);
        try {
          if (await lstat(join(dir, posix.dirname(path), '.wh.' + posix.basename(path))).catch(() => null))
            return false;
          return (await lstat(p)).isDirectory();
        } catch {
          /* not in this layer */
        }
      }
      return false;
    },
    async lookupUser(image, spec) {
      try {
        return cd.users.resolve(spec, {
          passwd: (await readImageFile(image, '/etc/passwd'))?.toString(),
          group: (await readImageFile(image, '/etc/group'))?.toString(),
        });
      } catch (err) {
        throw invalidArgument(`unable to convert uid/gid chown string to host mapping: ${messageOf(err)}`);
      }
    },
    commit: (container, parent, config, history) =>
      commitStep(fs, container ? { container } : null, parent, config, history),
    commitLayer: (parent, tar, config, history) => commitStep(fs, { tar }, parent, config, history),
    decompress: async (src: Readable) => (await decompress(src)).stream,
    archiveLimit: () => spaceLimit(deps.dir),
    remove: (container) => removeContainer(cd, cleanup, container, { force: true, volumes: true }),
    download: async (url, signal) => downloadUrl(url, join(deps.dir, 'tmp'), await spaceLimit(deps.dir), signal),
    cacheGet: (key) => cache.get(key),
    cachePut: (key, image) => cache.put(key, image),
    cacheFrom: (sources, parent, createdBy, config) => cacheFromHit(cd.images, sources, parent, createdBy, config),
    inCacheFromChain: (sources, image) => inCacheFromChain(cd.images, sources, image),
  };
}
