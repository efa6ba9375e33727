// ListMetricDescriptors and ListPodSandboxMetrics (StreamPodSandboxMetrics sends the same
// pods in messages): per ready pod, its infra's metrics (container "POD") and its network
// counters (the infra's /proc/<pid>/net/dev), then each running container's. What they are
// read from: the container's cgroup files (runtime.cgroupStats, as `docker stats`), the
// /proc/<pid>/fd of the cgroup's processes, the writable layer's size and the statfs of the
// file system under it. metric-catalog.ts names and labels them.
import { readdir, readFile, readlink, stat, statfs } from 'node:fs/promises';
import type { Container } from '../../containers/store.ts';
import type * as cri from '../../cri-types/api.ts';
import type { SandboxRecord } from '../../pods/store.ts';
import type { CriDeps } from './deps.ts';
import { findImage, repoTagsOf } from './images.ts';
import { readCriMeta } from './labels.ts';
import {
  containerMetrics,
  metricDescriptors,
  networkMetrics,
  type ContainerReading,
  type Subject,
} from './metric-catalog.ts';
import { podContainers } from './sandbox-stop.ts';
import { podInterfaces, sampleOf } from './stats.ts';
import { upperOf } from '../containers/rootfs.ts';

export function listMetricDescriptors(): cri.ListMetricDescriptorsResponse {
  return { descriptors: metricDescriptors() };
}

export async function listPodSandboxMetrics(deps: CriDeps): Promise<cri.ListPodSandboxMetricsResponse> {
  const ready = deps.sandboxes
    .list()
    .filter((s) => deps.containers.store.get(s.id)?.runtime.state.Status === 'running');
  return { pod_metrics: await Promise.all(ready.map((s) => podMetrics(deps, s))) };
}

async function podMetrics(deps: CriDeps, s: SandboxRecord): Promise<cri.PodSandboxMetrics> {
  const m = s.config.metadata!;
  const pod = { namespace: m.namespace, pod: m.name };
  const infra = deps.containers.store.get(s.id);
  const metrics: cri.Metric[] = [];
  if (infra) {
    const subject: Subject = {
      container: 'POD',
      id: s.id,
      image: imageLabel(deps, infra.record.config.Image ?? '', infra.record.image),
      name: infra.record.name,
      ...pod,
    };
    const reading = await readingOf(deps, infra);
    if (reading) metrics.push(...containerMetrics(subject, reading));
    const counters = await podInterfaces(s, infra);
    if (counters) metrics.push(...networkMetrics(subject, BigInt(Date.now()) * 1_000_000n, counters));
  }
  const members = podContainers(deps, s.id).filter((c) => ['running', 'paused'].includes(c.runtime.state.Status));
  const container_metrics = await Promise.all(
    members.map(async (c): Promise<cri.ContainerMetrics> => {
      const meta = readCriMeta(c.record.config.Labels);
      const reading = meta ? await readingOf(deps, c) : undefined;
      const subject: Subject = {
        container: meta?.metadata.name ?? '',
        id: c.record.id,
        image: meta ? (meta.userImage ?? imageLabel(deps, meta.image, meta.imageRef)) : '',
        name: c.record.name,
        ...pod,
      };
      return { container_id: c.record.id, metrics: reading ? containerMetrics(subject, reading) : [] };
    }),
  );
  return { pod_sandbox_id: s.id, metrics, container_metrics };
}

/**
 * The `image` label: a name, as cAdvisor shows it. kubelet creates containers from the image
 * ID (the pod spec's name comes as user_specified_image, used first) and the infra is made
 * from the ID: an ID is shown as the image's first tag, when it has one.
 */
function imageLabel(deps: CriDeps, sent: string, id: string): string {
  if (!/^(sha256:)?[0-9a-f]{64}$/.test(sent)) return sent;
  const img = findImage(deps.images, id);
  return (img && repoTagsOf(deps.images, img)[0]) || sent;
}

async function readingOf(deps: CriDeps, c: Container): Promise<ContainerReading | undefined> {
  const sample = await sampleOf(deps, c, { detail: true });
  if (!sample) return undefined;
  const at = BigInt(Date.now()) * 1_000_000n;
  const [files, fs] = await Promise.all([
    openFiles(sample.procs ?? []),
    writableLayer(deps, upperOf(deps.containers, c)),
  ]);
  const keys = new Set(sample.blkio.serviceBytes.concat(sample.blkio.serviced).map((e) => `${e.major}:${e.minor}`));
  if (fs) keys.add(fs.dev);
  const devices = Object.fromEntries(await Promise.all([...keys].map(async (k) => [k, await deviceName(k)] as const)));
  const started = Date.parse(c.runtime.state.StartedAt);
  return {
    at,
    sample,
    startedAt: Number.isFinite(started) ? started : undefined,
    files,
    fs: fs && { ...fs.usage, device: devices[fs.dev] ?? fs.dev },
    devices,
  };
}

/** Descriptors (and the sockets among them) the processes hold; one gone meanwhile counts none. */
async function openFiles(pids: number[]): Promise<{ descriptors: number; sockets: number } | undefined> {
  if (!pids.length) return undefined;
  let descriptors = 0;
  let sockets = 0;
  await Promise.all(
    pids.map(async (pid) => {
      const dir = `/proc/${pid}/fd`;
      const fds = await readdir(dir).catch(() => [] as string[]);
      descriptors += fds.length;
      const links = await Promise.all(fds.map((fd) => readlink(`${dir}/${fd}`).catch(() => '')));
      sockets += links.filter((l) => l.startsWith('socket:')).length;
    }),
  );
  return { descriptors, sockets };
}

/** The writable layer's size, and the capacity and inodes of the file system holding it. */
async function writableLayer(
  deps: CriDeps,
  upper: string,
): Promise<{ dev: string; usage: Omit<NonNullable<ContainerReading['fs']>, 'device'> } | undefined> {
  try {
    const [st, fs, used] = await Promise.all([
      stat(upper, { bigint: true }),
      statfs(upper),
      deps.containers.layers.dirSize(upper),
    ]);
    return {
      dev: devKey(st.dev),
      usage: { usedBytes: used, capacityBytes: fs.blocks * fs.bsize, inodes: fs.files, inodesFree: fs.ffree },
    };
  } catch {
    return undefined;
  }
}

/** st_dev as "major:minor" (glibc's encoding). */
export function devKey(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** A block device's /dev name (cAdvisor's `device` label); the "major:minor" when it has none. */
async function deviceName(key: string): Promise<string> {
  const uevent = await readFile(`/sys/dev/block/${key}/uevent`, 'utf8').catch(() => '');
  const name = /^DEVNAME=(.+)$/m.exec(uevent)?.[1];
  return name ? `/dev/${name}` : key;
}
