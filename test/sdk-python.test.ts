// Docker's Python SDK (Debian python3-docker 5.0) against berthd: the corners where SDKs
// differ from the docker CLI — exec framing taken from the start request, the swarm-era
// endpoints' "no swarm" answers, /plugins, registry data through /distribution.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { hasPythonSdk, py } from './helpers/python.ts';
import { hasRegistry, startRegistry, type TestRegistry } from './helpers/registry.ts';

const skip = !isRoot ? 'needs root' : !hasPythonSdk ? 'needs python3-docker (scripts/setup installs it)' : false;

describe('Python SDK', { skip }, () => {
  let d!: TestDaemon;
  useDaemon((x) => (d = x));

  test('exec: a TTY exec started with the default Tty=False is demultiplexed whole', async () => {
    const r = await py(
      d,
      `
      c = client.containers.run('busybox', ['sleep', '300'], detach=True, name='sdkexec')
      e = client.api.exec_create(c.id, ['sh', '-c', 'echo hello; echo err >&2'], tty=True)
      low = client.api.exec_start(e['Id'])  # tty=False: a multiplexed stream, as dockerd sends
      tty = c.exec_run(['sh', '-c', 'echo a; echo b >&2; exit 3'], tty=True)
      dm = c.exec_run(['sh', '-c', 'echo a; echo b >&2'], demux=True)
      streamed = b''.join(c.exec_run(['sh', '-c', 'for i in 1 2 3; do echo $i; done'], stream=True).output)
      c.remove(force=True)
      out({'low': low.decode(), 'tty': [tty.exit_code, tty.output.decode()],
           'demux': [x.decode() for x in dm.output], 'streamed': streamed.decode()})
      `,
    );
    assert.equal(r.low, 'hello\r\nerr\r\n');
    assert.deepEqual(r.tty, [3, 'a\r\nb\r\n']);
    assert.deepEqual(r.demux, ['a\n', 'b\n']);
    assert.equal(r.streamed, '1\n2\n3\n');
  });

  test("not in a swarm: 503 with dockerd's words; no plugins; Swarm inactive in info", async () => {
    const r = await py(
      d,
      `
      out({
        'swarm': api_error(lambda: client.swarm.reload()),
        'nodes': api_error(lambda: client.nodes.list()),
        'services': api_error(lambda: client.services.list()),
        'secrets': api_error(lambda: client.secrets.list()),
        'configs': api_error(lambda: client.configs.list()),
        'tasks': api_error(lambda: client.api.tasks()),
        'leave': api_error(lambda: client.swarm.leave()),
        'plugins': [p.name for p in client.plugins.list()],
        'plugin': api_error(lambda: client.plugins.get('nope')),
        'state': client.info()['Swarm']['LocalNodeState'],
      })
      `,
    );
    const notManager = {
      status: 503,
      explanation:
        'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.',
    };
    for (const k of ['swarm', 'nodes', 'services', 'secrets', 'configs', 'tasks'])
      assert.deepEqual(r[k], notManager, k);
    assert.deepEqual(r.leave, { status: 503, explanation: 'This node is not part of a swarm' });
    assert.deepEqual(r.plugins, []);
    assert.deepEqual(r.plugin, { status: 404, explanation: 'plugin "nope" not found' });
    assert.equal(r.state, 'inactive');
  });

  test("log_config: the local driver read back by logs(); an unknown driver is a 400 in dockerd's words", async () => {
    const r = await py(
      d,
      `
      from docker.types import LogConfig
      c = client.containers.run('busybox', ['sh', '-c', 'echo hi; sleep 0.3; echo oops >&2'], detach=True,
                                log_config=LogConfig(type='local', config={'max-size': '1m'}))
      c.wait()
      out({
        'logs': c.logs().decode(),
        'stdout': c.logs(stderr=False).decode(),
        'config': client.api.inspect_container(c.id)['HostConfig']['LogConfig'],
        'bad': api_error(lambda: client.containers.run('busybox', 'true', log_config=LogConfig(type='nope'))),
      })
      c.remove()
      `,
    );
    assert.equal(r.logs, 'hi\noops\n');
    assert.equal(r.stdout, 'hi\n');
    assert.deepEqual(r.config, { Type: 'local', Config: { 'max-size': '1m' } });
    assert.deepEqual(r.bad, {
      status: 400,
      explanation: 'error looking up logging plugin nope: plugin "nope" not found',
    });
  });

  describe('registry data (GET /distribution/{name}/json) with basic auth over TLS', {
    skip: !hasRegistry && 'needs docker-registry',
  }, () => {
    let reg!: TestRegistry;
    before(async () => {
      reg = await startRegistry({ tls: true, users: { alice: 's3cret' } });
    });
    after(async () => {
      await reg?.stop();
    });

    test('descriptor and platform of a pushed image; 401 without credentials; 404 for a missing tag', async () => {
      const name = `${reg.host}/alice/bb`;
      const r = await py(
        d,
        `
        auth = {'username': 'alice', 'password': 's3cret'}
        client.images.get('busybox').tag('${name}', '1')
        pushed = [json.loads(l) for l in client.api.push('${name}', tag='1', auth_config=auth).splitlines() if l.strip()]
        digest = [m['aux']['Digest'] for m in pushed if 'aux' in m][0]
        rd = client.images.get_registry_data('${name}:1', auth_config=auth)
        by_digest = client.api.inspect_distribution('${name}@' + digest, auth_config=auth)
        out({
          'digest': digest,
          'id': rd.id,
          'attrs': rd.attrs,
          'has_platform': rd.has_platform('linux/amd64'),
          'by_digest': by_digest,
          'anonymous': api_error(lambda: client.images.get_registry_data('${name}:1')),
          'missing': api_error(lambda: client.images.get_registry_data('${name}:nope', auth_config=auth)),
          'bad': api_error(lambda: client.api.inspect_distribution('${reg.host}/Alice/bb')),
        })
        `,
      );
      assert.match(r.digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(r.id, r.digest);
      assert.equal(r.attrs.Descriptor.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
      assert.ok(r.attrs.Descriptor.size > 0);
      assert.deepEqual(r.attrs.Platforms, [{ architecture: 'amd64', os: 'linux' }]);
      assert.equal(r.has_platform, true);
      assert.deepEqual(r.by_digest, r.attrs);
      assert.equal(r.anonymous.status, 401);
      assert.match(r.anonymous.explanation, /authentication required/);
      assert.deepEqual(r.missing, { status: 404, explanation: 'manifest unknown: manifest unknown' });
      assert.equal(r.bad.status, 400);
    });
  });
});
