// Linux capability names (by number, as the kernel defines them) and Docker's reading of
// --cap-add/--cap-drop values: case-insensitive, CAP_ prefix optional, "ALL" on either side.
import { invalidArgument } from '../common/errors.ts';

/** Capability names without the CAP_ prefix, index = the capability's number. */
export const KNOWN_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
] as const;

/** Docker's default set for a container that is not privileged. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
] as const;

const KNOWN = new Set<string>(KNOWN_CAPABILITIES.map((c) => `CAP_${c}`));

/**
 * Upper-cases, adds CAP_, keeps "ALL"; an unknown name is invalid-argument with Docker's
 * message, prefixed by the field (`invalid CapAdd: unknown capability: "CAP_NOPE"`).
 */
export function normalizeCapabilities(caps: readonly string[], field?: string): string[] {
  return caps.map((raw) => {
    const u = raw.toUpperCase();
    if (u === 'ALL') return u;
    const c = u.startsWith('CAP_') ? u : `CAP_${u}`;
    if (!KNOWN.has(c))
      throw invalidArgument(`${field ? `invalid ${field}: ` : ''}unknown capability: ${JSON.stringify(c)}`);
    return c;
  });
}
