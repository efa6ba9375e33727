// `--pid`, `--ipc` and `--uts` at start: a fresh namespace (the default; IPC "private",
// "shareable" and "none"), the host's, or another running container's (`container:<id>`,
// how pods share theirs). IPC sharing needs a donor that allows it, as in Docker.
import { conflict } from '../../common/errors.ts';
import type { HostConfig } from '../../api/types/containers.ts';
import type { ContainerStore } from '../../containers/store.ts';
import type { SpecInput } from './ports.ts';
import { modeContainer } from './validate-settings.ts';

const KINDS = { pid: 'PidMode', ipc: 'IpcMode', uts: 'UTSMode' } as const satisfies Record<string, keyof HostConfig>;
type Kind = keyof typeof KINDS;

/** The namespaces a task about to start joins; the containers it joins must be running. */
export function namespaceModes(deps: { readonly store: ContainerStore }, hc: HostConfig): SpecInput['namespaces'] {
  const out: NonNullable<SpecInput['namespaces']> = {};
  for (const [kind, field] of Object.entries(KINDS) as [Kind, (typeof KINDS)[Kind]][]) {
    const mode = hc[field] ?? '';
    if (mode === 'host') out[kind] = 'host';
    const target = modeContainer(mode);
    if (target === undefined) continue;
    const donor = deps.store.resolve(target);
    const pid = donor.runtime.state.Pid;
    if (donor.runtime.state.Status !== 'running' || !pid)
      throw conflict(`cannot join ${kind.toUpperCase()} of a non running container: ${donor.record.id}`);
    if (kind === 'ipc') {
      const donorMode = donor.record.hostConfig.IpcMode ?? '';
      if (donorMode !== 'shareable' && donorMode !== 'host')
        throw conflict('non-shareable IPC (hint: use IpcMode:shareable for the donor container)');
      // The donor's /dev/shm: the same tmpfs (a shareable one lives on the host), not a copy.
      out.shm = donorMode === 'host' ? 'host' : { container: donor.record.id };
    }
    out[kind] = { path: `/proc/${pid}/ns/${kind}` };
  }
  const user = donorUserns(deps, hc);
  if (user) out.user = { path: user };
  const ipc = hc.IpcMode ?? '';
  if (ipc === 'none') out.shm = 'none';
  if (ipc === 'shareable') out.shm = 'shareable';
  return out;
}

/**
 * The user namespace of the running container whose network, PID or IPC namespace this one
 * joins: under userns-remap it joins that one too (dockerd's rule), since a namespace can
 * only be entered and used from the user namespace that owns it.
 */
export function donorUserns(deps: { readonly store: ContainerStore }, hc: HostConfig): string | undefined {
  for (const mode of [hc.NetworkMode, hc.PidMode, hc.IpcMode]) {
    const target = modeContainer(mode);
    if (target === undefined) continue;
    const pid = deps.store.tryResolve(target)?.runtime.state.Pid;
    if (pid) return `/proc/${pid}/ns/user`;
  }
  return undefined;
}
