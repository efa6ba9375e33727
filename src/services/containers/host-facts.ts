// What create, update and start need to know about the host beyond the container's record:
// its cgroup capabilities, its device nodes, its sysctls. daemon/ wires the real reader.
import type { CgroupLimits } from '../../oci/cgroup-limits.ts';
import type { LinuxDevice } from '../../oci/runtime-spec.ts';

/** A device node on the host (`--device`, blkio device limits). */
export type DeviceNode = LinuxDevice;

export interface HostFacts {
  readonly cgroups: CgroupLimits;
  /**
   * The device node(s) `path` names, symlinks resolved; a directory yields the nodes under
   * it. invalid-argument with Docker's message when it is none ("not a device node").
   */
  devices(path: string): DeviceNode[];
  /** The block device that `path` is, for blkio limits; invalid-argument otherwise. */
  blockDevice(path: string): { major: number; minor: number };
  /** Whether the host knows this sysctl (runc refuses unknown ones at start). */
  sysctlExists(name: string): boolean;
}
