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
import { SandboxStore } from '../pods/store.ts';
import { opOf, type CriDeps } from '../services/cri/deps.ts';
import { runPodSandbox } from '../services/cri/sandbox-run.ts';
import { reconcileSandboxes, removePodSandbox, stopPodSandbox } from '../services/cri/sandbox-stop.ts';
import { listPodSandbox, podSandboxStatus } from '../services/cri/sandbox-views.ts';
import { SANDBOX_ID_LABEL, TYPE_LABEL } from '../services/cri/labels.ts';
import { createContainer } from '../services/cri/container-create.ts';
import {
  removeContainer,
  reopenContainerLog,
  startContainer,
  stopContainer,
} from '../services/cri/container-lifecycle.ts';
import { containerStatus, listContainers } from '../services/cri/container-views.ts';
import { execSync } from '../services/cri/exec-sync.ts';
import { containerStats, listContainerStats, listPodSandboxStats, podSandboxStats } from '../services/cri/stats.ts';
import { getContainerEvents } from '../services/cri/events.ts';
import { updatePodSandboxResources } from '../services/cri/sandbox-update.ts';
import { listMetricDescriptors, listPodSandboxMetrics } from '../services/cri/metrics.ts';
import { updateContainerResources } from '../services/cri/update-resources.ts';
import { checkExec, streamExec } from '../services/cri/stream-exec.ts';
import { checkAttach, streamAttach } from '../services/cri/stream-attach.ts';
import { forwardTarget, portForward } from '../services/cri/port-forward.ts';
import { StreamServer } from '../cri/streaming/server.ts';
import type { DaemonConfig } from './config.ts';
import type { Engine } from './wire-engine.ts';

export interface Cri {
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The CRI's streamed lists: the same items as the unary call, in messages of 100. */
function paged<T>(items: T[] | undefined, write: (page: T[]) => void): void {
  const all = items ?? [];
  for (let i = 0; i < all.length; i += 100) write(all.slice(i, i + 100));
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
  const sandboxes = new SandboxStore(join(config.dataRoot, 'cri', 'sandboxes'));
  for (const q of await sandboxes.load())
    log.warn('quarantined a damaged sandbox record', { path: q.path, reason: q.reason });
  const deps: CriDeps = {
    containers: engine.containers,
    images: ideps,
    sandboxes,
    network,
    pull: engine.pull,
    locks: new KeyedMutex(),
    settings: { sandboxImage: config.sandboxImage, catatonitPath: '/usr/bin/catatonit' },
    log,
  };
  // A pod's containers (and its infra) go with the pod, never through the Engine API alone.
  engine.containers.removalGuards.push((c) => {
    const labels = c.record.config.Labels ?? {};
    const pod = labels[TYPE_LABEL] === 'podsandbox' ? c.record.id : labels[SANDBOX_ID_LABEL];
    return pod && sandboxes.get(pod)
      ? `container ${c.record.id.slice(0, 12)} belongs to pod sandbox ${pod.slice(0, 12)}: remove the pod through the CRI (crictl rmp)`
      : undefined;
  });
  await reconcileSandboxes(deps);
  const shown = {
    sandboxImage: config.sandboxImage,
    cniConfDir: config.cniConfDir,
    cniBinDir: config.cniBinDir,
    streamAddress: config.criStreamAddress,
    cgroupDriver: 'cgroupfs',
  };

  const op = (signal: AbortSignal) => opOf(deps, signal);
  const streams = new StreamServer({
    address: config.criStreamAddress,
    log,
    backend: {
      exec: (req, io) => streamExec(deps, op(io.signal), req, io),
      attach: (req, io) => streamAttach(deps, op(io.signal), req, io),
      portForward: (pod, port, conn, signal) => portForward(deps, pod, port, conn, signal),
    },
  });
  const runtime: RuntimeBackend = {
    Version: async () => version(),
    Status: (req) => status({ network, config: shown }, req),
    RuntimeConfig: async () => runtimeConfig(),
    RunPodSandbox: (req, ctx) => runPodSandbox(deps, op(ctx.signal), req),
    StopPodSandbox: (req) => stopPodSandbox(deps, req),
    RemovePodSandbox: (req) => removePodSandbox(deps, req),
    PodSandboxStatus: async (req) => podSandboxStatus(deps, req),
    ListPodSandbox: async (req) => listPodSandbox(deps, req),
    StreamPodSandboxes: async (req, out) =>
      paged(listPodSandbox(deps, req).items, (pod_sandboxes) => out.write({ pod_sandboxes })),
    CreateContainer: (req, ctx) => createContainer(deps, op(ctx.signal), req),
    StartContainer: (req, ctx) => startContainer(deps, op(ctx.signal), req),
    StopContainer: (req, ctx) => stopContainer(deps, op(ctx.signal), req),
    RemoveContainer: (req, ctx) => removeContainer(deps, op(ctx.signal), req),
    ContainerStatus: async (req) => containerStatus(deps, req),
    ListContainers: async (req) => listContainers(deps, req),
    StreamContainers: async (req, out) =>
      paged(listContainers(deps, req).containers, (containers) => out.write({ containers })),
    UpdateContainerResources: (req, ctx) => updateContainerResources(deps, op(ctx.signal), req),
    UpdatePodSandboxResources: (req) => updatePodSandboxResources(deps, req),
    ContainerStats: (req) => containerStats(deps, req),
    ListContainerStats: (req) => listContainerStats(deps, req),
    StreamContainerStats: async (req, out) =>
      paged((await listContainerStats(deps, req)).stats, (container_stats) => out.write({ container_stats })),
    PodSandboxStats: (req) => podSandboxStats(deps, req),
    ListPodSandboxStats: (req) => listPodSandboxStats(deps, req),
    StreamPodSandboxStats: async (req, out) =>
      paged((await listPodSandboxStats(deps, req)).stats, (pod_sandbox_stats) => out.write({ pod_sandbox_stats })),
    ListMetricDescriptors: async () => listMetricDescriptors(),
    ListPodSandboxMetrics: () => listPodSandboxMetrics(deps),
    StreamPodSandboxMetrics: async (_req, out) =>
      paged((await listPodSandboxMetrics(deps)).pod_metrics, (pod_sandbox_metrics) =>
        out.write({ pod_sandbox_metrics }),
      ),
    GetContainerEvents: (_req, out) => getContainerEvents(deps, (m) => out.write(m), out.signal),
    ReopenContainerLog: (req) => reopenContainerLog(deps, req),
    ExecSync: (req, ctx) => execSync(deps, req, ctx.signal),
    Exec: async (req) => {
      checkExec(deps, req);
      return { url: streams.url({ kind: 'exec', req }) };
    },
    Attach: async (req) => {
      checkAttach(deps, req);
      return { url: streams.url({ kind: 'attach', req }) };
    },
    PortForward: async (req) => {
      forwardTarget(deps, req.pod_sandbox_id);
      return { url: streams.url({ kind: 'portforward', req }) };
    },
    UpdateRuntimeConfig: async (req) => {
      await network.setPodCidr(req.runtime_config?.network_config?.pod_cidr ?? '');
      return {};
    },
  };
  const images: ImageBackend = {
    ListImages: async (req) => listImages(ideps, req),
    StreamImages: async (req, out) => paged(listImages(ideps, req).images, (images) => out.write({ images })),
    ImageStatus: async (req) => imageStatus(ideps, req),
    PullImage: (req, ctx) => pullImage(ideps, engine.pull, req, ctx.signal),
    RemoveImage: (req) => removeImage(ideps, imageLocks, req),
    ImageFsInfo: () => imageFsInfo(ideps, join(config.dataRoot, 'layers')),
  };
  const server = new CriServer({ runtime, images, log, socketGid });
  const path = criSocketPath(config);
  return {
    listen: async () => {
      log.info('CRI streaming server on ' + (await streams.listen()));
      await server.listen(path);
      return path;
    },
    close: async () => {
      await server.close();
      await streams.close();
    },
  };
}
