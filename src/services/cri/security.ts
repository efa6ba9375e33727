// The CRI's security profiles as the engine's SecurityOpt (Docker's spelling, enforced by
// the engine's seccomp, AppArmor and no-new-privileges support). The CRI's meaning of an
// absent seccomp profile is "unconfined" (kubelet asks for RuntimeDefault explicitly);
// RuntimeDefault is Berth's default filter; a Localhost profile is the JSON file on this
// node that the reference names, handed to the engine as Docker's CLI hands it a profile.
import { readFileSync } from 'node:fs';
import { invalidArgument, messageOf } from '../../common/errors.ts';
import type * as cri from '../../cri-types/api.ts';

/** `undefined`: no seccomp option at all (a privileged container: the engine applies none). */
function seccompOpt(p: cri.Decoded<cri.SecurityProfile> | null | undefined): string[] {
  if (p === undefined) return [];
  switch (p?.profile_type ?? 'Unconfined') {
    case 'RuntimeDefault':
      return [];
    case 'Localhost': {
      const ref = p?.localhost_ref ?? '';
      if (!ref.startsWith('/'))
        throw invalidArgument(`seccomp profile ${ref}: a localhost profile must be an absolute path`);
      let text: string;
      try {
        text = readFileSync(ref, 'utf8');
      } catch (err) {
        throw invalidArgument(`seccomp profile ${ref}: ${messageOf(err)}`);
      }
      return [`seccomp=${text}`];
    }
    default:
      return ['seccomp=unconfined'];
  }
}

function apparmorOpt(p: cri.Decoded<cri.SecurityProfile> | null | undefined): string[] {
  switch (p?.profile_type) {
    case 'Unconfined':
      return ['apparmor=unconfined'];
    case 'Localhost':
      if (!p.localhost_ref) throw invalidArgument('apparmor profile: a localhost profile needs its name');
      return [`apparmor=${p.localhost_ref.replace(/^localhost\//, '')}`];
    default:
      return [];
  }
}

/** run_as_user / run_as_group / run_as_username as the engine's User ("uid:gid", "name"). */
export function userOf(
  sc: Pick<cri.Decoded<cri.LinuxContainerSecurityContext>, 'run_as_user' | 'run_as_group'> & {
    run_as_username?: string;
  },
): string {
  const user = sc.run_as_user ? sc.run_as_user.value : (sc.run_as_username ?? '');
  if (sc.run_as_group && !user) throw invalidArgument('run_as_group is set without run_as_user or run_as_username');
  if (!user) return '';
  return sc.run_as_group ? `${user}:${sc.run_as_group.value}` : user;
}

/**
 * The deprecated string form of a profile (seccomp_profile_path, apparmor_profile) as the
 * structured one: "runtime/default" (or "docker/default"), "unconfined", "localhost/<ref>";
 * '' is none given (null).
 */
export function legacyProfile(path: string): cri.Decoded<cri.SecurityProfile> | null {
  if (path === '') return null;
  if (path === 'runtime/default' || path === 'docker/default')
    return { profile_type: 'RuntimeDefault', localhost_ref: '' };
  if (path === 'unconfined') return { profile_type: 'Unconfined', localhost_ref: '' };
  if (path.startsWith('localhost/'))
    return { profile_type: 'Localhost', localhost_ref: path.slice('localhost/'.length) };
  throw invalidArgument(
    `security profile ${JSON.stringify(path)}: expected runtime/default, unconfined or localhost/<profile>`,
  );
}

export function securityOpts(
  seccomp: cri.Decoded<cri.SecurityProfile> | null | undefined,
  apparmor: cri.Decoded<cri.SecurityProfile> | null | undefined,
  noNewPrivs: boolean,
): string[] {
  return [...seccompOpt(seccomp), ...apparmorOpt(apparmor), ...(noNewPrivs ? ['no-new-privileges'] : [])];
}
