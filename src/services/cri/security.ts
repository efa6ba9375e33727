// The CRI's security profiles as the engine's SecurityOpt. Berth has no seccomp filter
// and this host no AppArmor or SELinux: a profile that would confine the container is
// refused by name, never accepted and dropped.
import { notImplemented } from '../../common/errors.ts';
import type * as cri from '../../cri-types/api.ts';

export function securityOpts(
  seccomp: cri.Decoded<cri.SecurityProfile> | null,
  apparmor: cri.Decoded<cri.SecurityProfile> | null | undefined,
  noNewPrivs: boolean,
): string[] {
  const out: string[] = [];
  if (seccomp && seccomp.profile_type !== 'Unconfined')
    throw notImplemented(
      `seccomp profile ${seccomp.profile_type}${seccomp.localhost_ref ? ` (${seccomp.localhost_ref})` : ''} is not supported by berthd yet`,
    );
  if (apparmor && apparmor.profile_type !== 'Unconfined')
    throw notImplemented(`AppArmor profile ${apparmor.profile_type} is not supported: this host has no AppArmor`);
  if (noNewPrivs) out.push('no-new-privileges');
  return out;
}
