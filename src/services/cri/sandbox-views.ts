// PodSandboxStatus and ListPodSandbox, from the record and the infra container's state:
// READY only while the record says so and the infra runs.
import { notFound } from '../../common/errors.ts';
import type * as cri from '../../cri-types/api.ts';
import type { SandboxRecord } from '../../pods/store.ts';
import type { CriDeps } from './deps.ts';
import { nsMode } from './sandbox-run.ts';

export function sandboxState(deps: CriDeps, s: SandboxRecord): cri.PodSandboxState {
  const infra = deps.containers.store.get(s.id);
  return s.state === 'SANDBOX_READY' && infra?.runtime.state.Status === 'running'
    ? 'SANDBOX_READY'
    : 'SANDBOX_NOTREADY';
}

export function podSandboxStatus(
  deps: CriDeps,
  req: cri.Decoded<cri.PodSandboxStatusRequest>,
): cri.PodSandboxStatusResponse {
  const s = deps.sandboxes.find(req.pod_sandbox_id);
  if (!s) throw notFound(`an error occurred when try to find sandbox: not found: ${req.pod_sandbox_id}`);
  const c = s.config;
  const net = s.network && !s.network.released ? s.network : undefined;
  const status: cri.PodSandboxStatus = {
    id: s.id,
    metadata: c.metadata,
    state: sandboxState(deps, s),
    created_at: s.createdAt,
    network: { ip: net?.ip ?? '', additional_ips: (net?.additionalIps ?? []).map((ip) => ({ ip })) },
    linux: {
      namespaces: {
        options: {
          network: nsMode(c, 'network'),
          pid: nsMode(c, 'pid'),
          ipc: nsMode(c, 'ipc'),
          target_id: '',
          userns_options: null,
        },
      },
    },
    labels: c.labels,
    annotations: c.annotations,
    runtime_handler: s.runtimeHandler,
  };
  const info: Record<string, string> = {};
  if (req.verbose) {
    const infra = deps.containers.store.get(s.id);
    info.info = JSON.stringify({
      pid: infra?.runtime.state.Pid ?? 0,
      image: infra?.record.config.Image ?? '',
      netns: net?.netns ?? '',
      cniResult: net?.result ?? null,
      config: c,
    });
  }
  return { status, info, containers_statuses: [], timestamp: String(BigInt(Date.now()) * 1_000_000n) };
}

function matches(deps: CriDeps, s: SandboxRecord, f: cri.Decoded<cri.PodSandboxFilter> | null): boolean {
  if (!f) return true;
  if (f.id && !s.id.startsWith(f.id)) return false;
  if (f.state && sandboxState(deps, s) !== f.state.state) return false;
  for (const [k, v] of Object.entries(f.label_selector)) if (s.config.labels[k] !== v) return false;
  return true;
}

export function listPodSandbox(deps: CriDeps, req: cri.Decoded<cri.ListPodSandboxRequest>): cri.ListPodSandboxResponse {
  return {
    items: deps.sandboxes
      .list()
      .filter((s) => matches(deps, s, req.filter))
      .sort((a, b) => (BigInt(a.createdAt) < BigInt(b.createdAt) ? -1 : 1))
      .map((s) => ({
        id: s.id,
        metadata: s.config.metadata,
        state: sandboxState(deps, s),
        created_at: s.createdAt,
        labels: s.config.labels,
        annotations: s.config.annotations,
        runtime_handler: s.runtimeHandler,
      })),
  };
}
