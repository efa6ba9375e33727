// Docker's seccomp profile format (what `--security-opt seccomp=<file>` and daemon.json
// `seccomp-profile` carry, and profiles/seccomp/default.json is written in).
import { invalidArgument } from '../common/errors.ts';

export interface SeccompFilter {
  caps?: string[] | null;
  arches?: string[] | null;
  minKernel?: string | null;
}

export interface SeccompRule {
  name?: string;
  names?: string[] | null;
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[] | null;
  comment?: string;
  includes?: SeccompFilter | null;
  excludes?: SeccompFilter | null;
}

/** Docker's seccomp profile file format. */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[] | null;
  archMap?: { architecture: string; subArchitectures?: string[] | null }[] | null;
  flags?: string[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompRule[] | null;
}

/** Parses a profile (Docker's JSON) with dockerd's message for junk. */
export function parseSeccompProfile(text: string): SeccompProfile {
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    throw invalidArgument('Decoding seccomp profile failed: not a JSON object');
  return p as SeccompProfile;
}
