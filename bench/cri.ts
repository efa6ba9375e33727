// CRI figures (issue 13): a pod and its container started through the CRI — RunPodSandbox,
// CreateContainer and StartContainer in one `crictl run` — against berthd --cri and against
// containerd's own CRI plugin (Debian's containerd), each with the same busybox image from
// a docker-registry on loopback and the same CNI bridge plugin on a bridge of its own.
// containerd runs on its own root, state, sockets, runc root and CNI directories under the
// bench's temporary root: the host's containerd paths are never touched. Teardown (stopp,
// rmp) is outside the timing.
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { noteState, removeBridge, runCmd, sleep } from './daemons.ts';
import { ms, summarize, table, type Summary } from './stats.ts';

export interface CriFigures {
  berthd?: Summary;
  containerd?: Summary;
  /** stopp + rmp of that pod (`crictl rmp -f`). */
  berthdRemove?: Summary;
  containerdRemove?: Summary;
  containerdVersion?: string;
  errors: string[];
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = connect(port, '127.0.0.1', () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });

function spawnLogged(cmd: string, args: string[], log: string): ChildProcess {
  const child = spawn('sh', ['-c', `exec "$0" "$@" >>"${log}" 2>&1`, cmd, ...args], {
    stdio: 'ignore',
    detached: true,
  });
  child.on('error', () => {});
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])) return;
  child.kill('SIGKILL');
  await Promise.race([exited, sleep(5000)]);
}

const conflist = (name: string, bridge: string, subnet: string, ipamDir: string) =>
  JSON.stringify({
    cniVersion: '1.0.0',
    name,
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: false,
        ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  });

export async function criBench(o: {
  repoRoot: string;
  dir: string;
  tag: string;
  runs: number;
  warmup: number;
}): Promise<CriFigures> {
  const res: CriFigures = { errors: [] };
  const crictl = join(o.repoRoot, '.tools', 'bin', 'crictl');
  if (!existsSync(crictl)) return { errors: ['crictl not built (scripts/setup builds it into .tools/bin)'] };
  const cgroupParent = `/berth-bench-cri-${o.tag}`;
  noteState(`cgroup ${cgroupParent}`);
  const children: ChildProcess[] = [];
  const bridges = [`bcb${o.tag.slice(0, 8)}`, `bcc${o.tag.slice(0, 8)}`];
  try {
    // The images: busybox and pause, made offline and served on loopback.
    const port = await freePort();
    const regDir = join(o.dir, 'registry');
    await mkdir(regDir, { recursive: true });
    await writeFile(
      join(regDir, 'config.yml'),
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${regDir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    );
    children.push(spawnLogged('docker-registry', ['serve', join(regDir, 'config.yml')], join(regDir, 'log')));
    for (let i = 0; i < 100 && !(await listening(port)); i++) await sleep(100);
    const pushed = await runCmd(join(o.repoRoot, 'scripts', 'cri-test-images'), [`127.0.0.1:${port}`], process.env);
    if (pushed.code !== 0) throw new Error(`scripts/cri-test-images: ${pushed.stderr.trim().split('\n').pop()}`);
    const image = `127.0.0.1:${port}/e2e-test-images/busybox:1.29-2`;

    // berthd --cri, its pods on bridge 1.
    const bd = join(o.dir, 'berthd');
    await mkdir(join(bd, 'cni'), { recursive: true });
    await writeFile(
      join(bd, 'cni', '10-bench.conflist'),
      conflist('bench-berthd', bridges[0], '10.252.1.0/24', join(bd, 'ipam')),
    );
    await writeFile(
      join(bd, 'daemon.json'),
      JSON.stringify({
        bridge: `bk${o.tag.slice(0, 8)}`,
        'default-address-pools': [{ base: '10.253.0.0/16', size: 24 }],
      }),
    );
    children.push(
      spawnLogged(
        join(o.repoRoot, 'bin', 'berthd'),
        [
          '--data-root',
          join(bd, 'data'),
          '--exec-root',
          join(bd, 'exec'),
          '-H',
          `unix://${join(bd, 'berth.sock')}`,
          '--config-file',
          join(bd, 'daemon.json'),
          '--cgroup-parent',
          cgroupParent,
          '--log-level',
          'warn',
          '--cri',
          '--cni-conf-dir',
          join(bd, 'cni'),
        ],
        join(bd, 'log'),
      ),
    );

    // containerd with only its CRI in use, everything under its own directory.
    const cd = join(o.dir, 'containerd');
    await mkdir(join(cd, 'cni'), { recursive: true });
    await mkdir(join(cd, 'certs.d', `127.0.0.1:${port}`), { recursive: true });
    await writeFile(
      join(cd, 'cni', '10-bench.conflist'),
      conflist('bench-containerd', bridges[1], '10.252.2.0/24', join(cd, 'ipam')),
    );
    await writeFile(
      join(cd, 'certs.d', `127.0.0.1:${port}`, 'hosts.toml'),
      `server = "http://127.0.0.1:${port}"\n[host."http://127.0.0.1:${port}"]\n  capabilities = ["pull", "resolve"]\n`,
    );
    await writeFile(
      join(cd, 'config.toml'),
      `version = 2
root = "${cd}/root"
state = "${cd}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "${cd}/containerd.sock"
[ttrpc]
  address = "${cd}/containerd-ttrpc.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "${cd}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "127.0.0.1:${port}/pause:3.9"
  disable_apparmor = true
  # The sandbox's oom_score_adj (-998) below containerd's own needs CAP_SYS_RESOURCE, which
  # a root without it (this kind of VM) lacks: runc's init then dies ("can't get final
  # child's PID"). Restricted, containerd never asks for less than its own score.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${cd}/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${cd}/certs.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    Root = "${cd}/runc"
    SystemdCgroup = false
`,
    );
    children.push(spawnLogged('containerd', ['--config', join(cd, 'config.toml')], join(cd, 'log')));
    res.containerdVersion = (await runCmd('containerd', ['--version'], process.env)).stdout.trim().split(' ')[2];

    const endpoints: [keyof Omit<CriFigures, 'errors' | 'containerdVersion'>, string][] = [
      ['berthd', `unix://${join(bd, 'exec', 'cri.sock')}`],
      ['containerd', `unix://${join(cd, 'containerd.sock')}`],
    ];
    const cc = (ep: string, args: string[]) =>
      runCmd(crictl, ['-r', ep, '-i', ep, '--timeout', '60s', ...args], process.env);
    const ready: typeof endpoints = [];
    for (const [name, ep] of endpoints) {
      let up = false;
      for (let i = 0; i < 300 && !up; i++) {
        up = (await cc(ep, ['version'])).code === 0;
        if (!up) await sleep(100);
      }
      const pulled = up ? await cc(ep, ['pull', image]) : undefined;
      if (!up) res.errors.push(`${name}: the CRI did not answer on ${ep}`);
      else if (pulled?.code !== 0) res.errors.push(`${name}: pull: ${pulled?.stderr.trim()}`);
      else ready.push([name, ep]);
    }
    const samples: Record<string, number[]> = { berthd: [], containerd: [] };
    const removals: Record<string, number[]> = { berthd: [], containerd: [] };
    const failed = new Set<string>();
    for (let i = 0; i < o.warmup + o.runs; i++) {
      for (const [name, ep] of ready) {
        if (failed.has(name)) continue;
        const pod = join(o.dir, `pod-${name}-${i}.json`);
        const ctr = join(o.dir, `ctr-${name}-${i}.json`);
        await writeFile(
          pod,
          JSON.stringify({
            metadata: { name: `bench-${i}`, namespace: 'bench', uid: `bench-${name}-${i}`, attempt: 0 },
            hostname: `bench-${i}`,
            log_directory: join(o.dir, 'logs', name, String(i)),
            linux: { cgroup_parent: `${cgroupParent}/${name}` },
          }),
        );
        await writeFile(
          ctr,
          JSON.stringify({
            metadata: { name: 'sleeper' },
            image: { image },
            command: ['sleep', '3600'],
            log_path: 'sleeper.log',
          }),
        );
        const t0 = performance.now();
        const r = await cc(ep, ['run', '--with-pull=false', ctr, pod]);
        const took = performance.now() - t0;
        if (r.code !== 0) {
          // One runtime failing leaves the other's figures standing.
          res.errors.push(`${name}: crictl run: ${r.stderr.trim().split('\n').pop()}`);
          failed.add(name);
        } else if (i >= o.warmup) samples[name].push(took);
        const pods = (await cc(ep, ['pods', '-q'])).stdout.split('\n').filter(Boolean);
        const t1 = performance.now();
        for (const p of pods) await cc(ep, ['rmp', '-f', p]);
        if (r.code === 0 && pods.length === 1 && i >= o.warmup) removals[name].push(performance.now() - t1);
      }
    }
    res.berthd = summarize(samples.berthd);
    res.containerd = summarize(samples.containerd);
    res.berthdRemove = summarize(removals.berthd);
    res.containerdRemove = summarize(removals.containerd);
  } catch (e) {
    res.errors.push((e as Error).message);
  } finally {
    for (const c of children.reverse()) await stop(c);
    for (const b of bridges) removeBridge(b);
    removeBridge(`bk${o.tag.slice(0, 8)}`, `berth-bk${o.tag.slice(0, 8)}`);
  }
  return res;
}

export function criReport(f: CriFigures, runs: number): string[] {
  const row = (label: string, s: Summary | undefined) =>
    s ? [label, ms(s.median), ms(s.p90), ms(s.min), ms(s.max), `n=${s.n}`] : [label, 'n/a', 'n/a', 'n/a', 'n/a', ''];
  const out = [
    '',
    `13. CRI: a pod and its container started (\`crictl run\`: RunPodSandbox + CreateContainer + StartContainer, busybox \`sleep\`, CNI bridge; ${runs} measured)`,
    table([
      ['runtime', 'median', 'p90', 'min', 'max', 'notes'],
      row('start: berthd --cri', f.berthd),
      row(`start: containerd ${f.containerdVersion ?? ''} CRI (own root/state/socket)`, f.containerd),
      row('stop + remove (crictl rmp -f): berthd --cri', f.berthdRemove),
      row(`stop + remove (crictl rmp -f): containerd ${f.containerdVersion ?? ''}`, f.containerdRemove),
    ]),
  ];
  if (f.berthd && f.containerd)
    out.push(
      `ratio berthd/containerd, start (medians): ${(f.berthd.median / f.containerd.median).toFixed(3)} — goal ≤ 0.5: ${f.berthd.median <= 0.5 * f.containerd.median ? 'MET' : 'NOT MET'}`,
    );
  if (f.berthdRemove && f.containerdRemove)
    out.push(
      `ratio berthd/containerd, stop + remove (medians): ${(f.berthdRemove.median / f.containerdRemove.median).toFixed(3)}`,
    );
  for (const e of f.errors) out.push(`CRI bench error: ${e}`);
  return out;
}
