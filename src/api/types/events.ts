// GET /events: one message of the stream.
import type { OpenString } from './common.ts';

export type EventType = OpenString<
  | 'builder'
  | 'config'
  | 'container'
  | 'daemon'
  | 'image'
  | 'network'
  | 'node'
  | 'plugin'
  | 'secret'
  | 'service'
  | 'volume'
>;

export interface EventActor {
  ID: string;
  Attributes: Record<string, string> | null;
}

export interface EventMessage {
  /** Deprecated: Action. */
  status?: string;
  /** Deprecated: Actor.ID. */
  id?: string;
  /** Deprecated: Actor.Attributes.image. */
  from?: string;
  Type: EventType;
  /** create, start, die, exec_create: <cmd>, health_status: healthy … */
  Action: string;
  Actor: EventActor;
  scope?: OpenString<'local' | 'swarm'>;
  /** Unix seconds. */
  time?: number;
  /** Unix nanoseconds. */
  timeNano?: number;
}
