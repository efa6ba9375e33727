// Docker's Volume object (api/types/volume.Volume), field order included.
import type { Volume } from '../../api/types/volumes.ts';
import type { VolumeInfo } from '../../volumes/volumes.ts';

export type VolumeView = Volume;

export function volumeView(v: VolumeInfo, usage?: { Size: number; RefCount: number }): VolumeView {
  return {
    ...(v.createdAt ? { CreatedAt: v.createdAt } : {}),
    Driver: v.record.driver,
    Labels: v.record.labels,
    Mountpoint: v.mountpoint,
    Name: v.record.name,
    Options: v.record.options,
    Scope: v.scope,
    ...(v.status ? { Status: v.status } : {}),
    ...(usage ? { UsageData: usage } : {}),
  };
}
