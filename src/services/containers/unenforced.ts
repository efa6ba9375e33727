// Config and HostConfig fields dockerd acts on that Berth accepts but does not act on yet.
// Clients send most of them on every create with their zero values (the docker CLI, Compose
// and the SDKs fill the whole struct), so they are taken and recorded (inspect shows them),
// but a create that sets one gets a warning naming it in its answer — the docker CLI prints
// it — so nothing is dropped silently. A field leaves this list when it is implemented or
// refused. Accepted with no effect needed: ContainerIDFile (the client writes that file),
// ConsoleSize (clients resize the TTY right after start), ArgsEscaped (Windows).
import type { ContainerConfig, HostConfig } from '../../api/types/containers.ts';

type Check<T> = readonly [field: keyof T & string, isSet: (v: NonNullable<T[keyof T]>) => boolean];

const text = (v: unknown) => v !== '';
const items = (v: unknown) => (Array.isArray(v) ? v.length > 0 : Object.keys(v as object).length > 0);

// Every Config field is acted on (Healthcheck by the supervisor's probes).
const CONFIG: Check<ContainerConfig>[] = [];

const HOST_CONFIG: Check<HostConfig>[] = [
  ['Annotations', items],
  ['Cgroup', text],
  ['StorageOpt', items],
  // Resources (cgroup limits), namespace modes, Runtime, Isolation and the masked/read-only
  // paths are enforced, or refused or warned about as dockerd does (validate-settings.ts).
];

function setFields<T extends object>(obj: T, checks: Check<T>[], prefix: string): string[] {
  return checks
    .filter(([f, isSet]) => obj[f] !== undefined && obj[f] !== null && isSet(obj[f] as NonNullable<T[keyof T]>))
    .map(([f]) => `${prefix}${f}`);
}

/** The create response's warnings: one naming every field set here that has no effect yet. */
export function unenforcedWarnings(config: ContainerConfig, hostConfig: HostConfig): string[] {
  const fields = [...setFields(config, CONFIG, ''), ...setFields(hostConfig, HOST_CONFIG, 'HostConfig.')];
  if (fields.length === 0) return [];
  return [`${fields.join(', ')}: accepted and recorded but not enforced by this engine yet`];
}

/** Every field on the list, for documentation and tests. */
export const UNENFORCED_FIELDS: readonly string[] = [
  ...CONFIG.map(([f]) => f),
  ...HOST_CONFIG.map(([f]) => `HostConfig.${f}`),
];
