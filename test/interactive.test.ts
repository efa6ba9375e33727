// A real terminal (tmux) driving `run -it`, resize, ctrl-p ctrl-q, `attach` and `exec -it`,
// with the berth CLI and, where installed, the docker CLI against berthd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { berthMain, hasDockerCli, isRoot, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { hasTmux, sizeBecomes, Terminal } from './helpers/tmux.ts';

const skip = !isRoot
  ? 'needs root (real mounts, runc, shims)'
  : !hasTmux()
    ? 'needs tmux (scripts/setup installs it)'
    : false;
let d: TestDaemon;

useDaemon((x) => (d = x));

const clis = [
  { cli: 'berth', skip },
  { cli: 'docker', skip: skip || (!hasDockerCli() ? 'docker CLI not installed' : false) },
] as const;

function terminal(d: TestDaemon, cli: 'berth' | 'docker', args: string, size = { width: 100, height: 30 }): Terminal {
  const bin = cli === 'berth' ? `${process.execPath} ${berthMain}` : 'docker';
  return new Terminal(`${bin} ${args}`, {
    ...size,
    env: {
      BERTH_HOST: d.host,
      DOCKER_HOST: d.host,
      DOCKER_CONFIG: join(d.root, 'docker-config'),
      DOCKER_CLI_HINTS: 'false',
    },
  });
}

const running = async (name: string) => (await d.api('GET', `/containers/${name}/json`)).json().State;

for (const { cli, skip } of clis) {
  test(`${cli}: run -it gives a shell whose size follows the terminal; ctrl-p ctrl-q detaches; attach returns to it; exit ends it`, {
    skip,
  }, async () => {
    const name = `it-${cli}`;
    const t = terminal(d, cli, `run -it --name ${name} busybox sh`);
    try {
      await t.waitFor(/^\/ #/m);
      t.type('stty size; tty');
      t.keys('Enter');
      await t.waitFor(/^30 100$/m);
      await t.waitFor(/^\/dev\/pts\/\d+$/m);
      t.resize(80, 24);
      await sizeBecomes(t, 24, 80);
      t.type('echo $((6*7)) > /tmp/mark');
      t.keys('Enter');
      t.keys('C-p', 'C-q');
      await t.waitFor(/\[exit=0\]/);
      await t.waitFor(/^-?icanon$/m); // stty's report comes a moment after [exit=N]
      assert.match(t.screen(), /^icanon$/m, 'the terminal is back in cooked mode');
      assert.equal((await running(name)).Running, true, 'detached: still running');
    } finally {
      t.close();
    }
    const a = terminal(d, cli, `attach ${name}`, { width: 90, height: 25 });
    try {
      await new Promise((r) => setTimeout(r, 500));
      a.type('cat /tmp/mark; stty size');
      a.keys('Enter');
      await a.waitFor(/^42$/m);
      await sizeBecomes(a, 25, 90); // asked again while the attach's resize travels
      a.type('exit 3');
      a.keys('Enter');
      await a.waitFor(/\[exit=3\]/);
      await a.waitFor(/^-?icanon$/m); // stty's report comes a moment after [exit=N]
      assert.match(a.screen(), /^icanon$/m);
    } finally {
      a.close();
    }
    const st = await running(name);
    assert.equal(st.Running, false);
    assert.equal(st.ExitCode, 3);
    await d.api('DELETE', `/containers/${name}?force=1`);
  });

  test(`${cli}: exec -it into a running container, with resize and its exit code`, { skip }, async () => {
    const name = `exit-${cli}`;
    await d.api('POST', `/containers/create?name=${name}`, { body: { Image: 'busybox', Cmd: ['sleep', '300'] } });
    await d.api('POST', `/containers/${name}/start`);
    const t = terminal(d, cli, `exec -it -w /tmp ${name} sh`);
    try {
      await t.waitFor(/^\/tmp #/m);
      t.type('stty size');
      t.keys('Enter');
      await t.waitFor(/^30 100$/m);
      t.resize(70, 20);
      await sizeBecomes(t, 20, 70);
      t.type('exit 4');
      t.keys('Enter');
      await t.waitFor(/\[exit=4\]/);
      await t.waitFor(/^-?icanon$/m); // stty's report comes a moment after [exit=N]
      assert.match(t.screen(), /^icanon$/m);
    } finally {
      t.close();
    }
    assert.equal((await running(name)).Running, true);
    await d.api('DELETE', `/containers/${name}?force=1`);
  });
}
