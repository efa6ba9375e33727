import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfileText, kernelAtLeast, seccompFor } from './seccomp.ts';
import { parseSeccompProfile } from '../oci/seccomp-profile.ts';
import { DEFAULT_CAPABILITIES } from '../oci/capabilities.ts';

const profile = parseSeccompProfile(defaultProfileText());
const allowed = (s: ReturnType<typeof seccompFor>, name: string) =>
  s!.syscalls!.some((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes(name) && !r.args);

test('the default profile: an allow list with EPERM for the rest, x86-64 and its companions', () => {
  const s = seccompFor(profile, [...DEFAULT_CAPABILITIES], { arch: 'x64', kernel: '6.1.0' })!;
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.defaultErrnoRet, 1);
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  for (const n of ['read', 'write', 'openat', 'clone', 'ptrace', 'arch_prctl'])
    assert.ok(allowed(s, n) || n === 'clone', n);
  for (const n of ['keyctl', 'add_key', 'unshare', 'mount', 'setns', 'bpf', 'syslog', 'reboot'])
    assert.ok(!allowed(s, n), n);
  // clone3: ENOSYS without CAP_SYS_ADMIN so libc falls back to clone.
  assert.ok(s.syscalls!.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO' && r.errnoRet === 38));
  assert.ok(!allowed(s, 's390_runtime_instr'));
});

test('capability-conditional rules follow the bounding set', () => {
  const admin = seccompFor(profile, [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], { arch: 'x64', kernel: '6.1.0' })!;
  for (const n of ['unshare', 'mount', 'setns', 'clone3']) assert.ok(allowed(admin, n), n);
  assert.ok(!admin.syscalls!.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO'));
  const ptrace = seccompFor(profile, ['CAP_SYS_PTRACE'], { arch: 'x64', kernel: '6.1.0' })!;
  assert.ok(allowed(ptrace, 'kcmp'));
  // ptrace without the capability only from Linux 4.8.
  assert.ok(!allowed(seccompFor(profile, [], { arch: 'x64', kernel: '4.4.0' }), 'ptrace'));
});

test('kernel versions and profile errors', () => {
  assert.ok(kernelAtLeast('6.18.44-fc-v1252', '4.8'));
  assert.ok(!kernelAtLeast('4.4.0-generic', '4.8'));
  assert.ok(kernelAtLeast('4.8.0', '4.8'));
  assert.throws(() => parseSeccompProfile('{'), /Decoding seccomp profile failed/);
  assert.throws(
    () => seccompFor({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['x'], archMap: [{ architecture: 'x' }] }, []),
    /use either 'architectures' or 'archMap'/,
  );
});
