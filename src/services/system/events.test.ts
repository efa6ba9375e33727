import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../events/bus.ts';
import { matchEvent, parseEventTime, queryEvents } from './events.ts';

const ev = (type: 'container' | 'image', action: string, id: string, attrs: Record<string, string> = {}) => {
  const bus = new EventBus();
  return bus.publish(type, action, id, attrs);
};
const f = (o: Record<string, string[]>) => new Map(Object.entries(o));

test('filters as moby: fuzzy container (id prefix or name), exact type/event, fuzzy exec actions, image, labels', () => {
  const id = 'a'.repeat(64);
  const e = ev('container', 'start', id, { name: 'web', image: 'busybox:latest', team: 'x' });
  assert.ok(matchEvent(f({}), e));
  assert.ok(matchEvent(f({ container: ['aaaa'] }), e));
  assert.ok(matchEvent(f({ container: ['we'] }), e));
  assert.ok(!matchEvent(f({ container: ['b'] }), e));
  assert.ok(matchEvent(f({ type: ['container'], event: ['start', 'die'] }), e));
  assert.ok(!matchEvent(f({ event: ['sta'] }), e));
  assert.ok(matchEvent(f({ image: ['busybox'] }), e), 'the tag is stripped');
  assert.ok(matchEvent(f({ label: ['team'] }), e));
  assert.ok(matchEvent(f({ label: ['team=x'] }), e));
  assert.ok(!matchEvent(f({ label: ['team=y'] }), e));
  const ex = ev('container', 'exec_create: sh -c true', id, { name: 'web' });
  assert.ok(matchEvent(f({ event: ['exec_create'] }), ex));
  assert.ok(!matchEvent(f({ event: ['exec_die'] }), ex));
  const img = ev('image', 'tag', 'sha256:1', { name: 'busybox:v1' });
  assert.ok(!matchEvent(f({ container: ['web'] }), img));
  assert.ok(matchEvent(f({ image: ['busybox'] }), img));
});

test('since/until: unix seconds with a fraction, RFC 3339, durations; bad values are 400', () => {
  assert.equal(parseEventTime('1700000000.5'), 1700000000.5e9);
  assert.equal(parseEventTime('1700000000.000000001'), 1700000000e9 + 1);
  assert.equal(parseEventTime('1700000000'), 1700000000e9);
  assert.equal(parseEventTime('2023-11-14T22:13:20Z'), 1700000000e9);
  assert.equal(parseEventTime('10m', 1_000_000), (1_000_000 - 600_000) * 1e6);
  assert.equal(parseEventTime(undefined), undefined);
  assert.throws(() => parseEventTime('soon'), /invalid value/);
});

test('queries: no since/until streams only new events; until in the past ends after the history', () => {
  const bus = new EventBus();
  const a = bus.publish('container', 'create', 'x');
  const b = bus.publish('container', 'start', 'x');
  assert.ok(b.timeNano > a.timeNano, 'strictly increasing times');
  const live = queryEvents(bus, { filters: new Map() });
  assert.deepEqual(live.past, []);
  assert.ok(live.follow);
  // until = a's time exactly, written as seconds.nanoseconds: (a.timeNano + 1) / 1e9 as a
  // double came out below a.timeNano for some 4% of clock values, and the test failed then.
  const frac = a.timeNano % 1e9;
  const until = `${(a.timeNano - frac) / 1e9}.${String(frac).padStart(9, '0')}`;
  const past = queryEvents(bus, { since: '0', until, filters: new Map() }, Date.now() + 10_000);
  assert.deepEqual(
    past.past.map((e) => e.Action),
    ['create'],
  );
  assert.equal(past.follow, undefined);
  assert.throws(() => queryEvents(bus, { filters: new Map([['nope', ['1']]]) }), /invalid filter 'nope'/);
});

test('the bus keeps a bounded history seeded from a journal and hands every event to it', () => {
  const seen: string[] = [];
  const old = new EventBus().publish('container', 'die', 'old');
  const bus = new EventBus({ cap: 3, history: [old], journal: { append: (e) => seen.push(e.Action) } });
  for (const a of ['a', 'b', 'c']) bus.publish('container', a, 'x');
  assert.deepEqual(
    bus.snapshot().map((e) => e.Action),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(seen, ['a', 'b', 'c']);
  assert.ok(bus.snapshot()[0].timeNano > old.timeNano);
});
