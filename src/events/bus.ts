// Typed event bus in Docker's event shape, with a bounded history for `since` queries.
// Subscribers are called synchronously; a slow consumer must buffer (bounded) itself.

export interface EngineEvent {
  Type: 'container' | 'image' | 'network' | 'volume' | 'daemon' | 'builder';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  // Legacy fields Docker still sends for containers and images.
  status?: string;
  id?: string;
  from?: string;
}

export type EventListener = (e: EngineEvent) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly history: EngineEvent[] = [];
  private readonly cap: number;

  constructor(cap = 1024) {
    this.cap = cap;
  }

  publish(type: EngineEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    const nowMs = Date.now();
    const e: EngineEvent = {
      Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local',
      time: Math.floor(nowMs / 1000), timeNano: nowMs * 1e6,
    };
    if (type === 'container' || type === 'image') {
      e.status = action;
      e.id = id;
      if (attributes.image) e.from = attributes.image;
    }
    this.history.push(e);
    if (this.history.length > this.cap) this.history.splice(0, this.history.length - this.cap);
    for (const l of this.listeners) {
      try { l(e); } catch { /* a listener's failure is its own */ }
    }
    return e;
  }

  subscribe(l: EventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  since(timeNano: number): EngineEvent[] {
    return this.history.filter((e) => e.timeNano >= timeNano);
  }
}
