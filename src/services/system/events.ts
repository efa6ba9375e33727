// GET /events: Docker's filters (type, event, container, image, label, …) and since/until
// over the bus's history, then live events until `until` or the client leaves.
import { invalidArgument } from '../../common/errors.ts';
import type { EngineEvent, EventBus } from '../../events/bus.ts';
import { matchLabels, parseTimeFilter } from '../filters.ts';

const KEYS = new Set([
  'container',
  'event',
  'image',
  'label',
  'type',
  'daemon',
  'network',
  'volume',
  'plugin',
  'node',
  'service',
  'secret',
  'config',
  'scope',
]);

type Filters = Map<string, string[]>;

const exact = (f: Filters, k: string, v: string | undefined) =>
  !f.get(k)?.length || (v !== undefined && f.get(k)!.includes(v));
const fuzzy = (f: Filters, k: string, v: string | undefined) =>
  !f.get(k)?.length || (v !== undefined && f.get(k)!.some((w) => v === w || v.startsWith(w)));
const stripTag = (ref: string) => {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
};

/** moby's events.Filter.Include. */
export function matchEvent(f: Filters, e: EngineEvent): boolean {
  const attrs = e.Actor.Attributes ?? {};
  // exec_create/exec_start carry the command after a colon: a bare name matches as a prefix
  const fuzzyActions = ['health_status', 'exec_create', 'exec_start'];
  const actionOk = (f.get('event') ?? []).some((v) => fuzzyActions.includes(v))
    ? fuzzy(f, 'event', e.Action)
    : exact(f, 'event', e.Action);
  const named = (k: string) =>
    e.Type !== k && f.get(k)?.length ? false : fuzzy(f, k, e.Actor.ID) || fuzzy(f, k, attrs.name);
  const imageName = e.Type === 'image' ? attrs.name : attrs.image;
  const imageOk =
    !f.get('image')?.length ||
    [e.Actor.ID, imageName, stripTag(e.Actor.ID), imageName && stripTag(imageName)].some(
      (v) => v !== undefined && f.get('image')!.includes(v),
    );
  return (
    actionOk &&
    exact(f, 'type', e.Type) &&
    exact(f, 'scope', e.scope) &&
    named('container') &&
    named('network') &&
    named('volume') &&
    named('plugin') &&
    imageOk &&
    matchLabels(attrs, f.get('label'))
  );
}

/** Docker's since/until: unix seconds (with an optional fraction), RFC 3339, or a duration ago. */
export function parseEventTime(v: string | undefined, now = Date.now()): number | undefined {
  if (v === undefined || v === '') return undefined;
  try {
    if (/^\d+\.\d+$/.test(v)) {
      const [s, frac] = v.split('.');
      return Number(s) * 1e9 + Number(frac.padEnd(9, '0').slice(0, 9));
    }
    return parseTimeFilter(v, now) * 1e6;
  } catch {
    throw invalidArgument(`invalid value for since/until: ${JSON.stringify(v)}`);
  }
}

export interface EventQuery {
  since?: string;
  until?: string;
  filters: Filters;
}

export interface EventStream {
  /** History that matched, oldest first. */
  past: EngineEvent[];
  /** Undefined when the stream ends after the past (until already reached). */
  follow?: { subscribe(onEvent: (e: EngineEvent) => void): () => void; untilNano?: number };
}

/** Validates before anything is sent (400 on a bad filter or time). */
export function queryEvents(bus: EventBus, q: EventQuery, now = Date.now()): EventStream {
  for (const k of q.filters.keys()) if (!KEYS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  const since = parseEventTime(q.since, now);
  const until = parseEventTime(q.until, now);
  const match = (e: EngineEvent) => matchEvent(q.filters, e);
  const past =
    since === undefined && until === undefined
      ? []
      : bus.since(since ?? 0).filter((e) => (until === undefined || e.timeNano <= until) && match(e));
  if (until !== undefined && until <= now * 1e6) return { past };
  return {
    past,
    follow: {
      untilNano: until,
      subscribe: (onEvent) => {
        const off = bus.subscribe((e) => {
          if (match(e)) onEvent(e);
        });
        followers++;
        let done = false;
        return () => {
          if (!done) followers--;
          done = true;
          off();
        };
      },
    },
  };
}

let followers = 0;
/** Clients following /events now (`info` NEventsListener). */
export const eventFollowers = () => followers;
