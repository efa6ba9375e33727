// What a host's cgroups can enforce (dockerd's sysinfo): runtime/sysinfo.ts reads it, create
// and update check requests against it, so a limit the host cannot apply is never taken silently.

export interface CgroupLimits {
  version: 1 | 2;
  memoryLimit: boolean;
  swapLimit: boolean;
  memoryReservation: boolean;
  memorySwappiness: boolean;
  oomKillDisable: boolean;
  kernelMemory: boolean;
  pidsLimit: boolean;
  cpuShares: boolean;
  cpuCfs: boolean;
  cpuRealtime: boolean;
  cpuset: boolean;
  cpus: string;
  mems: string;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  blkioReadBpsDevice: boolean;
  blkioWriteBpsDevice: boolean;
  blkioReadIOpsDevice: boolean;
  blkioWriteIOpsDevice: boolean;
  cgroupNamespaces: boolean;
  /** v2: the root's controllers, which a unified resource may name; v1: none (no unified files). */
  controllers: string[];
  numCpus: number;
}
