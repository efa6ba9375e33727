// Typed event bus in Docker's event shape, with a bounded history for `since` queries.
// Subscribers are called synchronously; a slow consumer must buffer (bounded) itself.
// With a journal, every event is also handed to it, and the history it kept from earlier
// runs seeds this one (so `events --since` reaches back across a berthd restart).

export interface EngineEvent {
  Type: 'container' | 'image' | 'network' | 'volume' | 'daemon' | 'builder' | 'authz';
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

export interface EventJournalSink {
  append(e: EngineEvent): void;
}

export interface EventBusOptions {
  cap?: number;
  journal?: EventJournalSink;
  /** Events of earlier runs, oldest first. */
  history?: EngineEvent[];
}

export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly history: EngineEvent[];
  private readonly cap: number;
  private readonly journal: EventJournalSink | undefined;
  private lastNano = 0;
  /** Adds attributes an event's publisher does not know (a container's labels, as Docker). */
  enrich:
    | ((type: EngineEvent['Type'], id: string, attributes: Record<string, string>) => Record<string, string>)
    | undefined;

  constructor(opts: EventBusOptions | number = {}) {
    const o = typeof opts === 'number' ? { cap: opts } : opts;
    this.cap = o.cap ?? 1024;
    this.journal = o.journal;
    this.history = (o.history ?? []).slice(-this.cap);
    this.lastNano = this.history.at(-1)?.timeNano ?? 0;
  }

  publish(type: EngineEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    if (this.enrich) attributes = this.enrich(type, id, attributes);
    // Times strictly increase, so since/until cut the history exactly. Nanoseconds since
    // 1970 are past 2^53: a step of 1 µs is the smallest a double still tells apart.
    const nano = Math.max(Date.now() * 1e6, this.lastNano + 1000);
    this.lastNano = nano;
    const e: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Math.floor(nano / 1e9),
      timeNano: nano,
    };
    if (type === 'container' || type === 'image') {
      e.status = action;
      e.id = id;
      if (attributes.image) e.from = attributes.image;
    }
    this.history.push(e);
    if (this.history.length > this.cap) this.history.splice(0, this.history.length - this.cap);
    this.journal?.append(e);
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a listener's failure is its own */
      }
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

  /** The retained history, oldest first (what a journal compacts to). */
  snapshot(): EngineEvent[] {
    return [...this.history];
  }
}
