// A container's mount points: resolved at create (record.mounts); records from before
// volumes only have host binds in HostConfig.Binds, read the same way.
import type { ContainerRecord, MountPoint } from '../../containers/types.ts';
import { parseBindSpec } from '../../volumes/specs.ts';

export function mountPointsOf(r: ContainerRecord): MountPoint[] {
  if (r.mounts) return r.mounts;
  return (r.hostConfig.Binds ?? []).map((b) => {
    const p = parseBindSpec(b);
    return { ...p };
  });
}

/** Every destination something is mounted on (binds, volumes, tmpfs). */
export function mountDestinations(r: ContainerRecord): Set<string> {
  return new Set([...mountPointsOf(r).map((m) => m.Destination), ...Object.keys(r.hostConfig.Tmpfs ?? {})]);
}

/** The images a container keeps in use: the one it runs from and those it mounts (image mounts). */
export function imagesOf(r: ContainerRecord): string[] {
  return [r.image, ...mountPointsOf(r).flatMap((m) => (m.Type === 'image' ? [m.Source] : []))];
}

export const usesImage = (r: ContainerRecord, imageId: string): boolean => imagesOf(r).includes(imageId);
