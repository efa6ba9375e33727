// The services' HostFacts from runtime/: the host's cgroup capabilities (read once) and
// device and sysctl lookups.
import { readCgroupInfo } from '../runtime/sysinfo.ts';
import { blockDevice, hostDevices, sysctlExists } from '../runtime/devices.ts';
import type { HostFacts } from '../services/containers/host-facts.ts';

export function hostFacts(): HostFacts {
  return { cgroups: readCgroupInfo(), devices: hostDevices, blockDevice, sysctlExists };
}
