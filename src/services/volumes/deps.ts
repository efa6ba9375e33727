// What the volume use cases need: the domain's volume service and the event bus.
import type { Logger } from '../../common/logger.ts';
import type { EventBus } from '../../events/bus.ts';
import type { Volumes } from '../../volumes/volumes.ts';

export interface VolumeDeps {
  readonly volumes: Volumes;
  readonly events: EventBus;
  readonly log: Logger;
}
