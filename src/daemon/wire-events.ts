// Event enrichment, set once here: container events carry the container's image, name and
// labels (what `events --filter label=…|name=…|image=…` match, as dockerd's), so no verb
// passes them. Labels come first: the event's own attributes and image/name win over a
// label of the same key. A removed container's record is gone, so its `destroy` event
// brings image and name itself.
import type { ContainerStore } from '../containers/store.ts';
import type { EventBus } from '../events/bus.ts';

export function enrichContainerEvents(events: EventBus, store: ContainerStore): void {
  events.enrich = (type, id, attributes) => {
    if (type !== 'container') return attributes;
    const c = store.get(id);
    if (!c) return attributes;
    return { ...c.record.config.Labels, image: c.record.config.Image, name: c.record.name, ...attributes };
  };
}
