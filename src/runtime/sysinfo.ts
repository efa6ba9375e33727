// What this host's cgroups can limit (Docker's sysinfo): read once at start-up from
// /sys/fs/cgroup — v1 (one hierarchy per controller, this project's hybrid hosts) or v2
// (the unified hierarchy's controllers). Create and update check requests against it and
// warn about, then drop, what the host cannot enforce, as dockerd does.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { CgroupLimits } from '../oci/cgroup-limits.ts';

const ROOT = '/sys/fs/cgroup';

const read = (p: string): string => {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return '';
  }
};

export function readCgroupInfo(root = ROOT): CgroupLimits {
  const numCpus = availableParallelism();
  const cgroupNamespaces = existsSync('/proc/self/ns/cgroup');
  if (existsSync(join(root, 'cgroup.controllers'))) return readV2(root, numCpus, cgroupNamespaces);
  const has = (ctl: string, file: string) => existsSync(join(root, ctl, file));
  return {
    version: 1,
    memoryLimit: has('memory', 'memory.limit_in_bytes'),
    swapLimit: has('memory', 'memory.memsw.limit_in_bytes'),
    memoryReservation: has('memory', 'memory.soft_limit_in_bytes'),
    memorySwappiness: has('memory', 'memory.swappiness'),
    oomKillDisable: has('memory', 'memory.oom_control'),
    kernelMemory: has('memory', 'memory.kmem.limit_in_bytes'),
    pidsLimit: has('pids', 'pids.max') || existsSync(join(root, 'pids')),
    cpuShares: has('cpu', 'cpu.shares'),
    cpuCfs: has('cpu', 'cpu.cfs_quota_us'),
    cpuRealtime: has('cpu', 'cpu.rt_runtime_us'),
    cpuset: has('cpuset', 'cpuset.cpus'),
    cpus: read(join(root, 'cpuset', 'cpuset.cpus')),
    mems: read(join(root, 'cpuset', 'cpuset.mems')),
    blkioWeight: has('blkio', 'blkio.weight'),
    blkioWeightDevice: has('blkio', 'blkio.weight_device'),
    blkioReadBpsDevice: has('blkio', 'blkio.throttle.read_bps_device'),
    blkioWriteBpsDevice: has('blkio', 'blkio.throttle.write_bps_device'),
    blkioReadIOpsDevice: has('blkio', 'blkio.throttle.read_iops_device'),
    blkioWriteIOpsDevice: has('blkio', 'blkio.throttle.write_iops_device'),
    cgroupNamespaces,
    controllers: [],
    numCpus,
  };
}

/** v2: what the root's controllers offer (runc enables them down the path it creates). */
function readV2(root: string, numCpus: number, cgroupNamespaces: boolean): CgroupLimits {
  const ctl = new Set(read(join(root, 'cgroup.controllers')).split(/\s+/).filter(Boolean));
  const memory = ctl.has('memory');
  const io = ctl.has('io');
  // Swap accounting shows as memory.swap.max in any non-root cgroup; the root has none,
  // so look for it in the first child that has the controller enabled.
  return {
    version: 2,
    memoryLimit: memory,
    swapLimit: memory && swapAccounting(root),
    memoryReservation: memory,
    memorySwappiness: false,
    oomKillDisable: false,
    kernelMemory: false,
    pidsLimit: ctl.has('pids'),
    cpuShares: ctl.has('cpu'),
    cpuCfs: ctl.has('cpu'),
    cpuRealtime: false,
    cpuset: ctl.has('cpuset'),
    cpus: read(join(root, 'cpuset.cpus.effective')) || `0-${numCpus - 1}`,
    mems: read(join(root, 'cpuset.mems.effective')) || '0',
    blkioWeight: io && existsSync(join(root, 'io.bfq.weight')),
    blkioWeightDevice: io && existsSync(join(root, 'io.bfq.weight')),
    blkioReadBpsDevice: io,
    blkioWriteBpsDevice: io,
    blkioReadIOpsDevice: io,
    blkioWriteIOpsDevice: io,
    cgroupNamespaces,
    controllers: [...ctl],
    numCpus,
  };
}

function swapAccounting(root: string): boolean {
  if (existsSync('/sys/fs/cgroup/memory.swap.max')) return true;
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const m = /^0::(\/.*)$/.exec(line);
      if (m && m[1] !== '/') return existsSync(join(root, m[1], 'memory.swap.max'));
    }
  } catch {
    /* no answer: assume none */
  }
  return false;
}
