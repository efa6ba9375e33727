// Docker's checks of a container's cgroup resources (create and update), with its
// messages and warnings: values the host cannot enforce are dropped with a warning, values
// that make no sense are refused. Pure: the host's capabilities come in as CgroupLimits.
import { invalidArgument } from '../../common/errors.ts';
import type { CgroupLimits } from '../../oci/cgroup-limits.ts';
import type { Resources } from '../../api/types/containers.ts';

/** The kernel's smallest useful memory limit, as Docker enforces it. */
export const MIN_MEMORY = 6 * 1024 * 1024;
/** Beyond Linux's usual CPU count a cpuset list is refused before it is expanded (CVE-2018-20699). */
const MAX_CPUS = 8192;

/**
 * Parses a cpuset list ("0-2,5"), Docker's way: duplicates allowed, a reversed range or
 * junk is "invalid format", values past the bound are refused before expansion.
 */
export function parseCpuList(val: string, max = MAX_CPUS): Set<number> {
  const out = new Set<number>();
  if (val === '') return out;
  const bad = () => invalidArgument(`invalid format: ${val}`);
  const int = (s: string) => {
    if (!/^[+-]?\d+$/.test(s)) throw bad();
    const n = Number(s);
    if (n < 0) throw bad();
    return n;
  };
  for (const part of val.split(',')) {
    const dash = part.indexOf('-');
    if (dash < 0) {
      const v = int(part);
      if (v > max) throw invalidArgument(`value of out range, maximum is ${max}`);
      out.add(v);
      continue;
    }
    const lo = int(part.slice(0, dash));
    const hi = int(part.slice(dash + 1));
    if (hi < lo) throw bad();
    if (hi > max) throw invalidArgument(`value of out range, maximum is ${max}`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

function listAvailable(requested: string, available: string, what: string): boolean {
  const have = parseCpuList(available, Number.MAX_SAFE_INTEGER);
  let want: Set<number>;
  try {
    want = parseCpuList(requested, Math.max(MAX_CPUS, ...have));
  } catch (err) {
    throw invalidArgument(`Invalid value ${requested} for cpuset ${what}: ${(err as Error).message}`);
  }
  for (const v of want) if (!have.has(v)) return false;
  return true;
}

const count = (l: unknown[] | null | undefined) => (Array.isArray(l) ? l.length : 0);

/**
 * dockerd's verifyPlatformContainerResources: mutates `r` (drops what the host cannot
 * enforce, normalises MemorySwappiness -1) and returns the warnings; throws
 * invalid-argument with Docker's message for values it refuses.
 */
export function verifyResources(r: Resources, sys: CgroupLimits, update: boolean): string[] {
  const w: string[] = [];
  const mem = r.Memory ?? 0;
  // -1 is "the host's default": Docker keeps no value for it.
  if (r.MemorySwappiness === -1) r.MemorySwappiness = null;
  if (mem !== 0 && mem < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (mem > 0 && !sys.memoryLimit) {
    w.push(
      'Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.',
    );
    r.Memory = 0;
    r.MemorySwap = -1;
  }
  if ((r.Memory ?? 0) > 0 && r.MemorySwap !== -1 && !sys.swapLimit) {
    w.push(
      'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.',
    );
    r.MemorySwap = -1;
  }
  const memory = r.Memory ?? 0;
  const swap = r.MemorySwap ?? 0;
  if (memory > 0 && swap > 0 && swap < memory)
    throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory === 0 && swap > 0 && !update)
    throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (swap < -1) throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && !sys.memorySwappiness) {
    w.push(
      'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.',
    );
    r.MemorySwappiness = null;
  }
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null) {
    const s = r.MemorySwappiness;
    if (s < 0 || s > 100) throw invalidArgument(`Invalid value: ${s}, valid memory swappiness range is 0-100`);
  }
  const reservation = r.MemoryReservation ?? 0;
  if (reservation > 0 && !sys.memoryReservation) {
    w.push(
      'Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.',
    );
    r.MemoryReservation = 0;
  }
  if ((r.MemoryReservation ?? 0) !== 0 && (r.MemoryReservation ?? 0) < MIN_MEMORY)
    throw invalidArgument('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && (r.MemoryReservation ?? 0) > 0 && memory < (r.MemoryReservation ?? 0))
    throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  if ((r.KernelMemory ?? 0) !== 0) {
    // Obsolete since Linux 5.4 and ignored by runc: refused rather than silently dropped.
    throw invalidArgument('KernelMemory: kernel memory limits are not supported (obsolete since Linux 5.4)');
  }
  if ((r.KernelMemoryTCP ?? 0) !== 0) {
    throw invalidArgument('KernelMemoryTCP: kernel TCP memory limits are not supported by this engine');
  }
  if (r.OomKillDisable !== undefined && r.OomKillDisable !== null && !sys.oomKillDisable) {
    if (r.OomKillDisable) w.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    r.OomKillDisable = null;
  }
  if (r.OomKillDisable && memory === 0)
    w.push(
      'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
    );
  if (r.PidsLimit !== undefined && r.PidsLimit !== null && !sys.pidsLimit) {
    if (r.PidsLimit > 0)
      w.push(
        'Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.',
      );
    r.PidsLimit = null;
  }

  const nano = r.NanoCpus ?? 0;
  if (nano > 0 && (r.CpuPeriod ?? 0) > 0)
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (r.CpuQuota ?? 0) > 0)
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano > 0 && !sys.cpuCfs)
    throw invalidArgument(
      'NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted',
    );
  if (nano !== 0 && (nano < 0 || nano > sys.numCpus * 1e9))
    throw invalidArgument(
      `Range of CPUs is from 0.01 to ${sys.numCpus}.00, as there are only ${sys.numCpus} CPUs available`,
    );
  if ((r.CpuShares ?? 0) < 0)
    throw invalidArgument(`invalid CPU shares (${r.CpuShares}): value must be a positive integer`);
  if ((r.CpuShares ?? 0) > 0 && !sys.cpuShares) {
    w.push('Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.');
    r.CpuShares = 0;
  }
  if (((r.CpuPeriod ?? 0) !== 0 || (r.CpuQuota ?? 0) !== 0) && !sys.cpuCfs) {
    w.push('Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.');
    r.CpuPeriod = 0;
    r.CpuQuota = 0;
  }
  const period = r.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1000000))
    throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  const quota = r.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((r.CpuPercent ?? 0) > 0) {
    w.push('linux does not support CPU percent. Percent discarded.');
    r.CpuPercent = 0;
  }
  if ((r.CpuCount ?? 0) > 0) {
    w.push('linux does not support CPU count. Count discarded.');
    r.CpuCount = 0;
  }
  const rtPeriod = r.CpuRealtimePeriod ?? 0;
  const rtRuntime = r.CpuRealtimeRuntime ?? 0;
  if ((rtPeriod !== 0 || rtRuntime !== 0) && !sys.cpuRealtime)
    throw invalidArgument(
      'Your kernel does not support CPU real-time scheduler or the cgroup is not mounted: cpu real-time period and runtime cannot be set',
    );
  if (rtPeriod < 0 || rtRuntime < -1) throw invalidArgument('cpu real-time period and runtime cannot be negative');
  if (rtPeriod !== 0 && rtRuntime > rtPeriod)
    throw invalidArgument('cpu real-time runtime cannot be higher than cpu real-time period');

  if ((r.CpusetCpus || r.CpusetMems) && !sys.cpuset) {
    w.push('Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.');
    r.CpusetCpus = '';
    r.CpusetMems = '';
  }
  if (r.CpusetCpus && !listAvailable(r.CpusetCpus, sys.cpus, 'cpus'))
    throw invalidArgument(`Requested CPUs are not available - requested ${r.CpusetCpus}, available: ${sys.cpus}`);
  if (r.CpusetMems && !listAvailable(r.CpusetMems, sys.mems, 'mems'))
    throw invalidArgument(
      `Requested memory nodes are not available - requested ${r.CpusetMems}, available: ${sys.mems}`,
    );

  const weight = r.BlkioWeight ?? 0;
  if (weight > 0 && !sys.blkioWeight) {
    w.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    r.BlkioWeight = 0;
  }
  if ((r.BlkioWeight ?? 0) > 0 && ((r.BlkioWeight ?? 0) < 10 || (r.BlkioWeight ?? 0) > 1000))
    throw invalidArgument('Range of blkio weight is from 10 to 1000');
  if ((r.IOMaximumBandwidth ?? 0) !== 0 || (r.IOMaximumIOps ?? 0) !== 0)
    throw invalidArgument('Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps');
  for (const d of r.BlkioWeightDevice ?? [])
    if (d.Weight !== undefined && d.Weight !== 0 && (d.Weight < 10 || d.Weight > 1000))
      throw invalidArgument(`invalid weight for device: ${d.Path}: Range of blkio weight is from 10 to 1000`);
  const drop: [keyof Resources, boolean, string][] = [
    [
      'BlkioWeightDevice',
      sys.blkioWeightDevice,
      'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
    ],
    [
      'BlkioDeviceReadBps',
      sys.blkioReadBpsDevice,
      'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.',
    ],
    [
      'BlkioDeviceWriteBps',
      sys.blkioWriteBpsDevice,
      'Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.',
    ],
    [
      'BlkioDeviceReadIOps',
      sys.blkioReadIOpsDevice,
      'Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.',
    ],
    [
      'BlkioDeviceWriteIOps',
      sys.blkioWriteIOpsDevice,
      'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.',
    ],
  ];
  for (const [f, ok, msg] of drop) {
    if (count(r[f] as unknown[] | null | undefined) > 0 && !ok) {
      w.push(msg);
      (r as Record<string, unknown>)[f] = [];
    }
  }
  verifyUnified(r.Unified, sys);
  return w;
}

/**
 * Unified (cgroup v2) files, checked as runc checks them so a create never stores what its
 * start would refuse: a v2 host, a file name of the form CONTROLLER.PARAMETER whose
 * controller the host offers (cgroup.* files are in every cgroup), one value per file.
 */
export function verifyUnified(u: Record<string, string> | null | undefined, sys: CgroupLimits): void {
  const keys = Object.keys(u ?? {});
  if (!keys.length) return;
  if (sys.version !== 2)
    throw invalidArgument(
      `unified resources (${keys.join(', ')}) are cgroup v2 files: this host's cgroups are v1, where they cannot be applied`,
    );
  for (const k of keys) {
    const m = /^([a-z0-9_]+)\.[A-Za-z0-9_.]+$/.exec(k);
    if (!m)
      throw invalidArgument(`unified resource "${k}" must be a cgroup file name of the form CONTROLLER.PARAMETER`);
    if (m[1] !== 'cgroup' && !sys.controllers.includes(m[1]))
      throw invalidArgument(`unified resource "${k}": controller "${m[1]}" is not available on this host`);
    const v = u?.[k];
    if (typeof v !== 'string' || /[\n\0]/.test(v))
      throw invalidArgument(`unified resource "${k}": the value must be a single line of text`);
  }
}
