// Seccomp profiles in Docker's format (profiles/seccomp/default.json is Berth's default) as
// the spec's linux.seccomp for one container: the host's architecture and its companions
// from archMap, and each rule kept or dropped by its includes/excludes — the container's
// bounding capabilities, the architecture, the kernel version — as dockerd reads them.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidArgument } from '../common/errors.ts';
import type { LinuxSeccomp } from '../oci/runtime-spec.ts';
import type { SeccompProfile } from '../oci/seccomp-profile.ts';

/** Node's process.arch → Docker's native architecture name and libseccomp's. */
const NATIVE: Record<string, [string, string]> = {
  x64: ['amd64', 'SCMP_ARCH_X86_64'],
  ia32: ['x86', 'SCMP_ARCH_X86'],
  arm64: ['arm64', 'SCMP_ARCH_AARCH64'],
  arm: ['arm', 'SCMP_ARCH_ARM'],
  ppc64: ['ppc64le', 'SCMP_ARCH_PPC64LE'],
  riscv64: ['riscv64', 'SCMP_ARCH_RISCV64'],
  s390x: ['s390x', 'SCMP_ARCH_S390X'],
};

let defaultText: string | undefined;
/** Berth's default profile (profiles/seccomp/default.json at the repository's root). */
export function defaultProfileText(): string {
  if (defaultText === undefined) {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 6 && !existsSync(join(dir, 'profiles', 'seccomp', 'default.json')); i++) dir = dirname(dir);
    defaultText = readFileSync(join(dir, 'profiles', 'seccomp', 'default.json'), 'utf8');
  }
  return defaultText;
}

/** "6.18.44-fc" ≥ "4.8"? */
export function kernelAtLeast(current: string, min: string): boolean {
  const num = (v: string) =>
    v
      .split(/[^0-9.]/)[0]
      .split('.')
      .map(Number);
  const [a, b] = [num(current), num(min)];
  if (b.some(Number.isNaN) || b.length < 2) throw invalidArgument(`invalid kernel version: ${min}`);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** The spec's seccomp for a container with these bounding capabilities (undefined: no filter). */
export function seccompFor(
  profile: SeccompProfile,
  caps: readonly string[],
  host: { arch?: string; kernel?: string } = {},
): LinuxSeccomp | undefined {
  if (!profile.defaultAction && !profile.syscalls?.length) return undefined;
  if (profile.architectures?.length && profile.archMap?.length)
    throw invalidArgument(
      "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'",
    );
  const [arch, scmpArch] = NATIVE[host.arch ?? process.arch] ?? ['', ''];
  const kernel = host.kernel ?? release();
  const architectures = [...(profile.architectures ?? [])];
  const own = profile.archMap?.find((a) => a.architecture === scmpArch);
  if (own) architectures.push(own.architecture, ...(own.subArchitectures ?? []));
  const syscalls: NonNullable<LinuxSeccomp['syscalls']> = [];
  for (const r of profile.syscalls ?? []) {
    if (r.name && r.names?.length)
      throw invalidArgument(
        "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'",
      );
    const names = r.name ? [r.name] : (r.names ?? []);
    const ex = r.excludes;
    if (ex?.arches?.includes(arch)) continue;
    if (ex?.caps?.some((c) => caps.includes(c))) continue;
    if (ex?.minKernel && kernelAtLeast(kernel, ex.minKernel)) continue;
    const inc = r.includes;
    if (inc?.arches?.length && !inc.arches.includes(arch)) continue;
    if (inc?.caps?.length && !inc.caps.every((c) => caps.includes(c))) continue;
    if (inc?.minKernel && !kernelAtLeast(kernel, inc.minKernel)) continue;
    syscalls.push({
      names,
      action: r.action,
      ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
      ...(r.args?.length ? { args: r.args } : {}),
    });
  }
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    ...(architectures.length ? { architectures } : {}),
    ...(profile.flags?.length ? { flags: profile.flags } : {}),
    ...(profile.listenerPath ? { listenerPath: profile.listenerPath } : {}),
    syscalls,
  };
}
