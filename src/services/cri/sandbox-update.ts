// UpdatePodSandboxResources: the kubelet has already resized the pod's cgroup (it owns the
// pod-level cgroup and calls this afterwards; the containers' own limits come through
// UpdateContainerResources). The runtime's part is to know the pod's new resources: they
// replace the pod config's linux.overhead and linux.resources in the sandbox record, so a
// restart keeps them, and PodSandboxStatus's verbose info shows them (containerd keeps
// them in its sandbox metadata the same way).
import { notFound } from '../../common/errors.ts';
import type * as cri from '../../cri-types/api.ts';
import type { CriDeps } from './deps.ts';

const NO_LINUX: cri.Decoded<cri.LinuxPodSandboxConfig> = {
  cgroup_parent: '',
  security_context: null,
  sysctls: {},
  overhead: null,
  resources: null,
};

export async function updatePodSandboxResources(
  deps: CriDeps,
  req: cri.Decoded<cri.UpdatePodSandboxResourcesRequest>,
): Promise<cri.UpdatePodSandboxResourcesResponse> {
  const missing = () => notFound(`an error occurred when try to find sandbox: not found: ${req.pod_sandbox_id}`);
  const found = deps.sandboxes.find(req.pod_sandbox_id);
  if (!found) throw missing();
  await deps.locks.run(`sandbox:${found.id}`, async () => {
    // Removed while this waited for the lock.
    const s = deps.sandboxes.get(found.id);
    if (!s) throw missing();
    // Changed in place: a stop or removal waiting for this lock holds the same record.
    const before = s.config;
    s.config = {
      ...before,
      linux: { ...(before.linux ?? NO_LINUX), overhead: req.overhead, resources: req.resources },
    };
    try {
      await deps.sandboxes.save(s);
    } catch (err) {
      s.config = before;
      throw err;
    }
  });
  return {};
}
