// Docker's HostConfig resource fields as the OCI spec's linux.resources and linux.devices
// (runc writes them to the container's cgroup, v1 or v2): memory, swap, swappiness, the
// OOM killer, CPU shares/quota/period (NanoCpus as a quota over 100 ms), real-time CPU,
// cpusets, pids, blkio weights and throttles, unified (v2) files, and devices with their
// cgroup rules. The
// values were checked at create (services/containers/resources.ts); the CRI calls these too.
import type {
  LinuxBlockIO,
  LinuxCPU,
  LinuxDevice,
  LinuxDeviceCgroup,
  LinuxMemory,
  LinuxResources,
  LinuxThrottleDevice,
} from '../oci/runtime-spec.ts';
import { parseDeviceCgroupRule } from '../oci/device-rules.ts';
import { blockDevice as hostBlockDevice, hostDevices, type HostDevice } from './devices.ts';

/** The resource fields read here (container.Resources). */
export interface ResourceFields {
  Memory?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  CpuShares?: number;
  NanoCpus?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  BlkioWeight?: number;
  BlkioWeightDevice?: { Path: string; Weight: number }[] | null;
  BlkioDeviceReadBps?: { Path: string; Rate: number }[] | null;
  BlkioDeviceWriteBps?: { Path: string; Rate: number }[] | null;
  BlkioDeviceReadIOps?: { Path: string; Rate: number }[] | null;
  BlkioDeviceWriteIOps?: { Path: string; Rate: number }[] | null;
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] | null;
  DeviceCgroupRules?: string[] | null;
  Unified?: Record<string, string> | null;
}

/** Host lookups (injectable for tests). */
export interface DeviceLookup {
  blockDevice(path: string): { major: number; minor: number };
  devices(path: string): HostDevice[];
}
const HOST: DeviceLookup = { blockDevice: hostBlockDevice, devices: hostDevices };

const positive = (v: number | undefined | null): v is number => typeof v === 'number' && v > 0;
const nonZero = (v: number | undefined | null): v is number => typeof v === 'number' && v !== 0;

export function memoryOf(r: ResourceFields): LinuxMemory | undefined {
  const m: LinuxMemory = {};
  if (positive(r.Memory)) m.limit = r.Memory;
  if (positive(r.MemoryReservation)) m.reservation = r.MemoryReservation;
  // -1 is unlimited swap: runc's -1 as well once a limit is set.
  if (positive(r.MemorySwap)) m.swap = r.MemorySwap;
  else if (r.MemorySwap === -1 && positive(r.Memory)) m.swap = -1;
  if (typeof r.MemorySwappiness === 'number' && r.MemorySwappiness >= 0) m.swappiness = r.MemorySwappiness;
  if (typeof r.OomKillDisable === 'boolean' && r.OomKillDisable) m.disableOOMKiller = true;
  return Object.keys(m).length ? m : undefined;
}

export function cpuOf(r: ResourceFields): LinuxCPU | undefined {
  const c: LinuxCPU = {};
  if (positive(r.CpuShares)) c.shares = r.CpuShares;
  if (r.CpusetCpus) c.cpus = r.CpusetCpus;
  if (r.CpusetMems) c.mems = r.CpusetMems;
  if (positive(r.NanoCpus)) {
    c.period = 100_000;
    c.quota = Math.floor((r.NanoCpus * 100_000) / 1e9);
  }
  if (nonZero(r.CpuPeriod)) c.period = r.CpuPeriod;
  if (nonZero(r.CpuQuota)) c.quota = r.CpuQuota;
  if (nonZero(r.CpuRealtimePeriod)) c.realtimePeriod = r.CpuRealtimePeriod;
  if (nonZero(r.CpuRealtimeRuntime)) c.realtimeRuntime = r.CpuRealtimeRuntime;
  return Object.keys(c).length ? c : undefined;
}

export function blockIOOf(r: ResourceFields, host: DeviceLookup = HOST): LinuxBlockIO | undefined {
  const b: LinuxBlockIO = {};
  if (positive(r.BlkioWeight)) b.weight = r.BlkioWeight;
  const throttle = (l: { Path: string; Rate: number }[] | null | undefined): LinuxThrottleDevice[] | undefined =>
    l?.length ? l.map((d) => ({ ...host.blockDevice(d.Path), rate: d.Rate })) : undefined;
  if (r.BlkioWeightDevice?.length)
    b.weightDevice = r.BlkioWeightDevice.map((d) => ({ ...host.blockDevice(d.Path), weight: d.Weight }));
  const rb = throttle(r.BlkioDeviceReadBps);
  const wb = throttle(r.BlkioDeviceWriteBps);
  const ri = throttle(r.BlkioDeviceReadIOps);
  const wi = throttle(r.BlkioDeviceWriteIOps);
  if (rb) b.throttleReadBpsDevice = rb;
  if (wb) b.throttleWriteBpsDevice = wb;
  if (ri) b.throttleReadIOPSDevice = ri;
  if (wi) b.throttleWriteIOPSDevice = wi;
  return Object.keys(b).length ? b : undefined;
}

/** linux.resources without the device rules (buildSpec puts Docker's defaults first). */
export function resourcesFromHostConfig(
  hc: ResourceFields,
  host: DeviceLookup = HOST,
): Omit<LinuxResources, 'devices'> {
  const out: Omit<LinuxResources, 'devices'> = {};
  const memory = memoryOf(hc);
  const cpu = cpuOf(hc);
  const blockIO = blockIOOf(hc, host);
  if (memory) out.memory = memory;
  if (cpu) out.cpu = cpu;
  if (blockIO) out.blockIO = blockIO;
  if (positive(hc.PidsLimit)) out.pids = { limit: hc.PidsLimit };
  if (hc.Unified && Object.keys(hc.Unified).length) out.unified = { ...hc.Unified };
  return out;
}

/**
 * `--device` mappings as device nodes made in the container plus the cgroup rules that let
 * it use them, then `--device-cgroup-rule`s. A directory maps every node under it.
 */
export function devicesFromHostConfig(
  hc: ResourceFields,
  host: DeviceLookup = HOST,
): { devices: LinuxDevice[]; rules: LinuxDeviceCgroup[] } {
  const devices: LinuxDevice[] = [];
  const rules: LinuxDeviceCgroup[] = [];
  for (const m of hc.Devices ?? []) {
    const inCtr = m.PathInContainer || m.PathOnHost;
    const access = m.CgroupPermissions || 'rwm';
    const nodes = host.devices(m.PathOnHost);
    for (const n of nodes) {
      const path =
        n.path === m.PathOnHost
          ? inCtr
          : inCtr.replace(/\/+$/, '') + n.path.slice(m.PathOnHost.replace(/\/+$/, '').length);
      devices.push({
        path,
        type: n.type,
        major: n.major,
        minor: n.minor,
        fileMode: n.fileMode,
        uid: n.uid,
        gid: n.gid,
      });
      rules.push({ allow: true, type: n.type, major: n.major, minor: n.minor, access });
    }
  }
  for (const rule of hc.DeviceCgroupRules ?? []) rules.push(parseDeviceCgroupRule(rule));
  return { devices, rules };
}

/**
 * What an update changes in a running task (dockerd's toContainerdResources): only the
 * fields the request sets; a pids limit of 0 or less lifts the limit (-1 to runc).
 */
export function updateResources(r: ResourceFields): LinuxResources {
  const out: LinuxResources = {};
  if (positive(r.BlkioWeight)) out.blockIO = { weight: r.BlkioWeight };
  const cpu: LinuxCPU = {};
  if (r.CpusetCpus) cpu.cpus = r.CpusetCpus;
  if (r.CpusetMems) cpu.mems = r.CpusetMems;
  if (nonZero(r.CpuShares)) cpu.shares = r.CpuShares;
  if (nonZero(r.NanoCpus)) {
    cpu.period = 100_000;
    cpu.quota = Math.floor((r.NanoCpus * 100_000) / 1e9);
  }
  if (cpu.quota === undefined && nonZero(r.CpuQuota)) cpu.quota = r.CpuQuota;
  if (cpu.period === undefined && nonZero(r.CpuPeriod)) cpu.period = r.CpuPeriod;
  if (nonZero(r.CpuRealtimePeriod)) cpu.realtimePeriod = r.CpuRealtimePeriod;
  if (nonZero(r.CpuRealtimeRuntime)) cpu.realtimeRuntime = r.CpuRealtimeRuntime;
  if (Object.keys(cpu).length) out.cpu = cpu;
  const memory: LinuxMemory = {};
  if (nonZero(r.Memory)) memory.limit = r.Memory;
  if (nonZero(r.MemoryReservation)) memory.reservation = r.MemoryReservation;
  if (positive(r.MemorySwap)) memory.swap = r.MemorySwap;
  else if (r.MemorySwap === -1) memory.swap = -1;
  if (Object.keys(memory).length) out.memory = memory;
  if (typeof r.PidsLimit === 'number') out.pids = { limit: r.PidsLimit > 0 ? r.PidsLimit : -1 };
  if (r.Unified && Object.keys(r.Unified).length) out.unified = { ...r.Unified };
  return out;
}
