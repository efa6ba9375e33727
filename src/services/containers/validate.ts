// Validation of create requests, with Docker's messages. Pure functions.
import { invalidArgument, notFound } from '../../common/errors.ts';
import { parseSignal } from '../../common/signals.ts';
import type { ContainerConfig, HostConfig, RestartPolicy } from '../../api/types/containers.ts';
import type { RunConfig } from '../../oci/image-spec.ts';

/** Checks on the request's Config that its JSON types cannot express (those were checked at the edge). */
export function validateConfig(cfg: ContainerConfig): void {
  for (const e of cfg.Env ?? []) if (e.startsWith('=')) throw invalidArgument(`invalid environment variable: ${e}`);
  if (cfg.StopSignal) parseSignal(cfg.StopSignal); // Docker: "Invalid signal: X"
}

export function normalizeRestartPolicy(p: RestartPolicy | undefined): RestartPolicy {
  if (p === undefined) return { Name: 'no', MaximumRetryCount: 0 };
  const name = p.Name ?? '';
  const max = p.MaximumRetryCount ?? 0;
  if (!['', 'no', 'always', 'on-failure', 'unless-stopped'].includes(name)) {
    throw invalidArgument(
      `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  }
  if (max < 0) throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
  if (max > 0 && name !== 'on-failure') {
    throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  return { Name: name || 'no', MaximumRetryCount: max };
}

export function validateHostConfig(hc: HostConfig, supportedNetworkModes: (mode: string) => boolean): HostConfig {
  const out: HostConfig = { ...hc };
  out.RestartPolicy = normalizeRestartPolicy(hc.RestartPolicy);
  if (out.AutoRemove && out.RestartPolicy.Name !== 'no') {
    throw invalidArgument(`can't create 'AutoRemove' container with restart policy`);
  }
  // Binds, Mounts, Tmpfs, VolumesFrom and VolumeDriver are resolved (and refused with
  // Docker's messages) by the volume service when the container's mounts are prepared.
  const mode = hc.NetworkMode || 'default';
  if (!supportedNetworkModes(mode)) throw notFound(`network ${mode} not found`);
  if (hc.ShmSize !== undefined && hc.ShmSize < 0) {
    throw invalidArgument('SHM size can not be less than 0');
  }
  return out;
}

/** Docker's merge of the image config under the container's. */
export function mergeImageConfig(user: RunConfig & { Image: string }, image: RunConfig): RunConfig & { Image: string } {
  const out: RunConfig & { Image: string } = { ...user };
  const asArray = (v: unknown) => (typeof v === 'string' ? [v] : (v as string[] | undefined));
  out.Cmd = asArray(user.Cmd) ?? undefined;
  out.Entrypoint = asArray(user.Entrypoint) ?? undefined;
  if (!out.User && image.User) out.User = image.User;
  const imgEnv = image.Env ?? [];
  const userEnv = user.Env ?? [];
  const keys = new Set(userEnv.map((e) => e.split('=')[0]));
  out.Env = [...imgEnv.filter((e) => !keys.has(e.split('=')[0])), ...userEnv];
  out.Labels = { ...(image.Labels ?? {}), ...(user.Labels ?? {}) };
  out.ExposedPorts = { ...(image.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  out.Volumes = { ...(image.Volumes ?? {}), ...(user.Volumes ?? {}) };
  if (!out.WorkingDir) out.WorkingDir = image.WorkingDir ?? '';
  if (!out.StopSignal && image.StopSignal) out.StopSignal = image.StopSignal;
  // dockerd's merge: a HEALTHCHECK part the request leaves empty comes from the image.
  if (image.Healthcheck) {
    const u = out.Healthcheck;
    const i = image.Healthcheck;
    if (!u) out.Healthcheck = i;
    else
      out.Healthcheck = {
        ...u,
        Test: u.Test?.length ? u.Test : i.Test,
        Interval: u.Interval || i.Interval,
        Timeout: u.Timeout || i.Timeout,
        StartPeriod: u.StartPeriod || i.StartPeriod,
        StartInterval: u.StartInterval || i.StartInterval,
        Retries: u.Retries || i.Retries,
      };
  }
  if (!out.OnBuild && image.OnBuild) out.OnBuild = image.OnBuild;
  if (!out.Shell && image.Shell) out.Shell = image.Shell;
  // An explicit Entrypoint drops the image's Cmd unless a Cmd was given too.
  if (out.Entrypoint === undefined || out.Entrypoint === null) {
    out.Entrypoint = image.Entrypoint;
    if (!out.Cmd || out.Cmd.length === 0) out.Cmd = image.Cmd;
  } else if (out.Entrypoint.length === 0 || (out.Entrypoint.length === 1 && out.Entrypoint[0] === '')) {
    out.Entrypoint = undefined; // --entrypoint "" clears it
    if (!out.Cmd || out.Cmd.length === 0) out.Cmd = image.Cmd;
  }
  return out;
}
