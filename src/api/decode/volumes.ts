// Go types of the volumes API's request bodies (moby api/types/volume at API 1.47).
import type {
  ClusterVolumeAccessMode,
  ClusterVolumeSpec,
  ClusterVolumeTopology,
  VolumeCreateBody,
  VolumeUpdateBody,
} from '../types/volumes.ts';
import { goString, int64, map, slice, str, struct } from './go-json.ts';

type Spec = ClusterVolumeSpec;
type NN<T> = NonNullable<T>;

const topologies = slice(struct<ClusterVolumeTopology>('volume.Topology', { Segments: map(str) }));

const clusterVolumeSpec = struct<Spec>('volume.ClusterVolumeSpec', {
  Group: str,
  AccessMode: struct<ClusterVolumeAccessMode>('volume.AccessMode', {
    Scope: goString('volume.Scope'),
    Sharing: goString('volume.SharingMode'),
    MountVolume: struct<NN<ClusterVolumeAccessMode['MountVolume']>>('volume.TypeMount', {
      FsType: str,
      MountFlags: slice(str),
    }),
    BlockVolume: struct<Record<string, never>>('volume.TypeBlock', {}),
  }),
  AccessibilityRequirements: struct<NN<Spec['AccessibilityRequirements']>>('volume.TopologyRequirement', {
    Requisite: topologies,
    Preferred: topologies,
  }),
  CapacityRange: struct<NN<Spec['CapacityRange']>>('volume.CapacityRange', { RequiredBytes: int64, LimitBytes: int64 }),
  Secrets: slice(struct<NN<Spec['Secrets']>[number]>('volume.Secret', { Key: str, Secret: str })),
  Availability: goString('volume.Availability'),
});

/** POST /volumes/create. */
export const volumeCreateBody = struct<VolumeCreateBody>('volume.CreateOptions', {
  ClusterVolumeSpec: clusterVolumeSpec,
  Driver: str,
  DriverOpts: map(str),
  Labels: map(str),
  Name: str,
});

/** PUT /volumes/{name}. */
export const volumeUpdateBody = struct<VolumeUpdateBody>('volume.UpdateOptions', { Spec: clusterVolumeSpec });
