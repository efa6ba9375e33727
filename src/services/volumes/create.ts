// POST /volumes/create: idempotent for an existing name with the same driver (or none
// given), 409 for another driver. A new volume is announced with a `create` event.
import type { Volume, VolumeCreateBody } from '../../api/types/volumes.ts';
import { unavailable } from '../../common/errors.ts';
import { LOCAL_DRIVER } from '../../volumes/record.ts';
import type { VolumeDeps } from './deps.ts';
import { volumeView } from './views.ts';

export async function createVolume(deps: VolumeDeps, body: VolumeCreateBody): Promise<Volume> {
  if (body.ClusterVolumeSpec)
    throw unavailable(
      'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.',
    );
  const { record, created } = await deps.volumes.create({
    name: body.Name ?? '',
    driver: body.Driver ?? '',
    options: body.DriverOpts ? { ...body.DriverOpts } : null,
    labels: body.Labels ? { ...body.Labels } : null,
  });
  if (created) deps.events.publish('volume', 'create', record.name, { driver: record.driver });
  if (record.driver === LOCAL_DRIVER) return volumeView(await deps.volumes.describe(record));
  // As Docker: a plugin volume's mountpoint is known once the plugin mounts it.
  const scope = await (await deps.volumes.driver(record.driver)).scope();
  return volumeView({ record, mountpoint: '', scope, createdAt: record.createdAt });
}
