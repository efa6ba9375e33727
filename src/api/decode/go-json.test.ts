// The decoders against dockerd's own: testdata/dockerd-27.5.1.json holds request bodies
// with what dockerd 27.5.1's decoder (Go 1.22 encoding/json into moby's api/types, API
// 1.47) answered — its error message, or null when it accepted the body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kindOf, messageOf } from '../../common/errors.ts';
import { decodeJson, type GoType } from './go-json.ts';
import { containerCreateBody, containerUpdateBody, execCreateBody, execStartBody } from './containers.ts';
import { networkConnectRequest, networkCreateRequest, networkDisconnectRequest } from './networks.ts';
import { volumeCreateBody, volumeUpdateBody } from './volumes.ts';
import { authConfig } from './registry.ts';
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
