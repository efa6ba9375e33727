// The decoders against dockerd's own: testdata/dockerd-27.5.1.json holds request bodies
// with what dockerd 27.5.1's decoder answered — its error message, or null when it accepted
// the body. The file was made by decoding each body with Go 1.22.11's encoding/json (the Go
// dockerd 27.5.1 is built with) into github.com/docker/docker@v27.5.1 api/types —
// container.CreateRequest, ExecOptions, ExecStartOptions, UpdateConfig; network.CreateRequest,
// ConnectOptions, DisconnectOptions; volume.CreateOptions, UpdateOptions; registry.AuthConfig —
// with dockerd's "invalid JSON: " in front (httputils.ReadJSON). Add a body there with the
// answer such a program gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kindOf, messageOf } from '../../common/errors.ts';
import { decodeJson, type GoType } from './go-json.ts';
import { containerCreateBody, containerUpdateBody, execCreateBody, execStartBody } from './containers.ts';
import { networkConnectRequest, networkCreateRequest, networkDisconnectRequest } from './networks.ts';
import { volumeCreateBody, volumeUpdateBody } from './volumes.ts';
import { authConfig } from './registry.ts';
import { buildArgs } from './build.ts';
import { statusOf } from '../errors.ts';

const TYPES: Record<string, GoType<unknown>> = {
  create: containerCreateBody,
  commit: containerCreateBody,
  update: containerUpdateBody,
  exec: execCreateBody,
  execstart: execStartBody,
  netcreate: networkCreateRequest,
  connect: networkConnectRequest,
  disconnect: networkDisconnectRequest,
  volume: volumeCreateBody,
  volumeupdate: volumeUpdateBody,
  auth: authConfig,
};

const cases = JSON.parse(readFileSync(new URL('./testdata/dockerd-27.5.1.json', import.meta.url), 'utf8')) as [
  string,
  string,
  string | null,
][];

test("wrong JSON types: dockerd's message, word for word, and a 400", () => {
  const wrong: string[] = [];
  for (const [kind, body, want] of cases) {
    let got: string | null = null;
    try {
      decodeJson(TYPES[kind], body);
    } catch (err) {
      assert.equal(kindOf(err), 'invalid-argument', `${kind} ${body}`);
      assert.equal(statusOf(err), 400);
      got = messageOf(err);
    }
    if (got !== want) wrong.push(`${kind} ${body}\n  dockerd: ${want}\n  berth:   ${got}`);
  }
  assert.deepEqual(wrong, [], wrong.join('\n'));
});

const decodeErr = (type: GoType<unknown>, text: string) => {
  try {
    decodeJson(type, text);
  } catch (err) {
    return messageOf(err);
  }
  return undefined;
};

test("Go's matching: exact name first, else case-insensitive; unknown fields skipped; the last duplicate wins", () => {
  assert.deepEqual(
    decodeJson(containerCreateBody, '{"image":"a","CMD":"x","hostconfig":{"MEMORY":5,"Foo":1},"NoSuch":{"x":1}}'),
    { Image: 'a', Cmd: ['x'], HostConfig: { Memory: 5 } },
  );
  assert.deepEqual(decodeJson(containerCreateBody, '{"Image":"a","Image":"b"}'), { Image: 'b' });
});

test('null leaves a field unset; null elements are zero values; an empty body is the zero value', () => {
  assert.deepEqual(
    decodeJson(containerCreateBody, '{"Cmd":null,"HostConfig":null,"Env":[null,"A=b"],"Labels":{"a":null}}'),
    {
      Env: ['', 'A=b'],
      Labels: { a: '' },
    },
  );
  assert.deepEqual(decodeJson(containerCreateBody, ''), {});
  assert.deepEqual(decodeJson(containerCreateBody, 'null'), {});
  // Each decode gets its own zero value.
  const a = decodeJson(networkCreateRequest, '');
  (a as Record<string, unknown>).Name = 'x';
  assert.deepEqual(decodeJson(networkCreateRequest, ''), {});
});

test('strslice: a string is a one-element list; a list keeps its strings', () => {
  assert.deepEqual(decodeJson(containerCreateBody, '{"Entrypoint":"sh","Cmd":["-c","echo hi"],"Shell":[]}'), {
    Entrypoint: ['sh'],
    Cmd: ['-c', 'echo hi'],
    Shell: [],
  });
});

test('integers are read from their literal: 1.0, 1e3 and out-of-range values are refused, -0 is 0', () => {
  const at = 'into Go struct field HostConfig.HostConfig.Memory of type int64';
  assert.equal(
    decodeErr(containerCreateBody, '{"HostConfig":{"Memory":1.0}}'),
    `invalid JSON: json: cannot unmarshal number 1.0 ${at}`,
  );
  assert.equal(
    decodeErr(containerCreateBody, '{"HostConfig":{"Memory":2e9}}'),
    `invalid JSON: json: cannot unmarshal number 2e9 ${at}`,
  );
  assert.equal(
    decodeErr(containerCreateBody, '{"HostConfig":{"Memory":9223372036854775808}}'),
    `invalid JSON: json: cannot unmarshal number 9223372036854775808 ${at}`,
  );
  assert.deepEqual(decodeJson(containerCreateBody, '{"HostConfig":{"Memory":-0,"CpuShares":9223372036854775807}}'), {
    // The largest int64 is in range; as a JavaScript number it is the nearest double.
    HostConfig: { Memory: -0, CpuShares: 2 ** 63 },
  });
  assert.equal(
    decodeErr(containerCreateBody, '{"HostConfig":{"BlkioWeight":-0}}'),
    'invalid JSON: json: cannot unmarshal number -0 into Go struct field HostConfig.HostConfig.BlkioWeight of type uint16',
  );
});

test('the first type error in the document is reported, but a custom decoder stops at once (as Go)', () => {
  assert.match(decodeErr(containerCreateBody, '{"Tty":"x","Env":5}')!, /CreateRequest\.Tty of type bool$/);
  assert.match(decodeErr(containerCreateBody, '{"Tty":"x","Cmd":5}')!, /CreateRequest\.Cmd of type string$/);
});

test('malformed JSON is a 400 too; prototype keys are dropped', () => {
  for (const bad of ['{', '{"Image": "busybox",}', 'not json', '{"Image":"busybox"} trailing']) {
    assert.throws(
      () => decodeJson(containerCreateBody, bad),
      (err: unknown) => kindOf(err) === 'invalid-argument' && messageOf(err).startsWith('invalid JSON: '),
    );
  }
  const v = decodeJson(containerCreateBody, '{"Labels":{"__proto__":"x","constructor":"y","a":"b"}}');
  assert.deepEqual(v, { Labels: { a: 'b' } });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("a JSON query parameter's errors carry dockerd's words for it", () => {
  assert.equal(
    decodeErr2(buildArgs, '{"A":1}', 'error reading build args'),
    'error reading build args: json: cannot unmarshal number into Go value of type string',
  );
  assert.deepEqual(decodeJson(buildArgs, '{"A":null,"B":"x"}'), { A: null, B: 'x' });
});

function decodeErr2(type: GoType<unknown>, text: string, prefix: string) {
  try {
    decodeJson(type, text, prefix);
  } catch (err) {
    return messageOf(err);
  }
  return undefined;
}
