// How a CRI object is written on the engine's containers, so `docker ps -a` shows pods as
// cri-dockerd did (names k8s_<container>_<pod>_<namespace>_<uid>_<attempt>, io.kubernetes.*
// labels) while the CRI reads back exactly what kubelet sent (one JSON label).
import type * as cri from '../../cri-types/api.ts';

export const TYPE_LABEL = 'io.kubernetes.docker.type';
export const SANDBOX_ID_LABEL = 'io.kubernetes.sandbox.id';
export const LOG_PATH_LABEL = 'io.kubernetes.container.logpath';
/** What the CRI was given (metadata, labels, annotations, image), as JSON. */
export const CRI_LABEL = 'io.berth.cri';

export interface CriContainerMeta {
  metadata: { name: string; attempt: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The image as kubelet named it, and the resolved image ID. */
  image: string;
  imageRef: string;
  /** The image as the pod spec names it (kubelet sends the ID as `image`); absent when not sent. */
  userImage?: string;
  logPath: string;
  /** ns since the epoch, as a decimal string. */
  createdAt: string;
}

const safe = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '-');

export function sandboxName(m: cri.Decoded<cri.PodSandboxMetadata>): string {
  return `k8s_POD_${safe(m.name)}_${safe(m.namespace)}_${safe(m.uid)}_${m.attempt}`;
}

export function containerName(m: cri.Decoded<cri.ContainerMetadata>, pod: cri.Decoded<cri.PodSandboxMetadata>): string {
  return `k8s_${safe(m.name)}_${safe(pod.name)}_${safe(pod.namespace)}_${safe(pod.uid)}_${m.attempt}`;
}

export function podLabels(pod: cri.Decoded<cri.PodSandboxMetadata>): Record<string, string> {
  return {
    'io.kubernetes.pod.name': pod.name,
    'io.kubernetes.pod.namespace': pod.namespace,
    'io.kubernetes.pod.uid': pod.uid,
  };
}

export function readCriMeta(labels: Record<string, string> | null | undefined): CriContainerMeta | undefined {
  const raw = labels?.[CRI_LABEL];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as CriContainerMeta;
  } catch {
    return undefined;
  }
}

export const nowNs = () => String(BigInt(Date.now()) * 1_000_000n);
export const isoToNs = (iso: string) => {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && ms > 0 ? String(BigInt(ms) * 1_000_000n) : '0';
};
