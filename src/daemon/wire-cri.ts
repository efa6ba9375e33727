// Composition of the CRI (issue 13): the gRPC edge (cri/) over the same services the
// Engine API uses — one image store, one container store, the same shims and layers.
import { join } from 'node:path';
import type { Logger } from '../common/logger.ts';
import { KeyedMutex } from '../common/mutex.ts';
import { CriServer } from '../cri/server.ts';
import type { ImageBackend, RuntimeBackend } from '../cri/backend.ts';
import { imageFsInfo, imageStatus, listImages } from '../services/cri/images.ts';
import { pullImage } from '../services/cri/image-pull.ts';
import { removeImage } from '../services/cri/image-remove.ts';
import { PodNetwork } from '../services/cri/pod-network.ts';
import { runtimeConfig, status, version } from '../services/cri/runtime-info.ts';
import type { DaemonConfig } from './config.ts';
import type { Engine } from './wire-engine.ts';

export interface Cri {
  listen(): Promise<string>;
  close(): Promise<void>;
}

export function criSocketPath(config: DaemonConfig): string {
  return config.criHost || join(config.execRoot, 'cri.sock');
}

export async function buildCri(
  config: DaemonConfig,
  engine: Engine,
  log: Logger,
  socketGid: number | undefined,
): Promise<Cri> {
  const network = new PodNetwork({
    confDir: config.cniConfDir,
    binDirs: config.cniBinDir.split(':').filter(Boolean),
    bridge: 'berth-cni0',
    subnet: '10.85.0.0/16',
    ipamDir: join(config.dataRoot, 'cri', 'cni-ipam'),
  });
  await network.init();
  const imageLocks = new KeyedMutex();
  const ideps = engine.images;
  const shown = {
    sandboxImage: config.sandboxImage,
    cniConfDir: config.cniConfDir,
    cniBinDir: config.cniBinDir,
    streamAddress: config.criStreamAddress,
    cgroupDriver: 'cgroupfs',
  };

  const runtime: RuntimeBackend = {
    Version: async () => version(),
    Status: (req) => status({ network, config: shown }, req),
    RuntimeConfig: async () => runtimeConfig(),
    UpdateRuntimeConfig: async (req) => {
      await network.setPodCidr(req.runtime_config?.network_config?.pod_cidr ?? '');
      return {};
    },
  };
  const images: ImageBackend = {
    ListImages: async (req) => listImages(ideps, req),
    ImageStatus: async (req) => imageStatus(ideps, req),
    PullImage: (req, ctx) => pullImage(ideps, engine.pull, req, ctx.signal),
    RemoveImage: (req) => removeImage(ideps, imageLocks, req),
    ImageFsInfo: () => imageFsInfo(ideps, join(config.dataRoot, 'layers')),
  };
  const server = new CriServer({ runtime, images, log, socketGid });
  const path = criSocketPath(config);
  return {
    listen: async () => {
      await server.listen(path);
      return path;
    },
    close: () => server.close(),
  };
}
