// The in-memory fake passes the TaskRuntime conformance suite (no root needed). The real
// adapter runs the same suite in test/conformance-runtime.test.ts.
import type { FakeProgram } from './fake-processes.ts';
import { FakeTaskHost, FakeTaskRuntime } from './fake-task-runtime.ts';
import { taskRuntimeConformance, type Program } from './task-runtime-conformance.ts';

/** The suite's programs as fake executables (argv[0] names one, the rest are its arguments). */
const programs: Record<string, FakeProgram | 'not-executable'> = {
  '/bin/exit': async (p) => {
    const [, code, out, err] = p.args;
    if (out) await p.write(out);
    if (err) await p.writeErr(err);
    return Number(code);
  },
  '/bin/cat': async (p) => {
    for (let chunk = await p.read(); chunk !== null; chunk = await p.read()) await p.write(chunk);
    return 0;
  },
  '/bin/sleep': (p) => p.forever(),
  '/bin/trap': async (p) => {
    let done!: (code: number) => void;
    const trapped = new Promise<number>((r) => (done = r));
    p.onSignal('SIGTERM', () => done(Number(p.args[1])));
    await p.write('ready\n');
    return trapped;
  },
  '/bin/children': async (p) => {
    p.spawnChild();
    p.spawnChild();
    await p.write('ready\n');
    await p.waitChildren();
    return 0;
  },
  '/bin/env': async (p) => {
    await p.write(`${p.getenv(p.args[1]) ?? ''}\n`);
    return 0;
  },
  '/bin/tty-size': async (p) => {
    await p.readLine();
    const { rows, cols } = p.size();
    await p.write(`${rows} ${cols}\n`);
    return 0;
  },
  '/notexec': 'not-executable',
};

function args(p: Program): string[] {
  switch (p.kind) {
    case 'exit':
      return ['/bin/exit', String(p.code), p.stdout ?? '', p.stderr ?? ''];
    case 'trap':
      return ['/bin/trap', String(p.code)];
    case 'env':
      return ['/bin/env', p.name];
    case 'missing':
      return ['/no/such/binary'];
    case 'not-executable':
      return ['/notexec'];
    default:
      return [`/bin/${p.kind}`];
  }
}

const image: Record<string, string> = {
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  '/etc/group': 'root:x:0:\nnogroup:x:65534:\n',
};

taskRuntimeConformance('fake', async () => {
  const host = new FakeTaskHost(programs);
  let runtime = new FakeTaskRuntime(host);
  const h = {
    runtime,
    args,
    rootfs: async () => [],
    readImageFile: async (path: string) => (image[path] === undefined ? undefined : Buffer.from(image[path])),
    async restart() {
      await runtime.close();
      runtime = new FakeTaskRuntime(host);
      h.runtime = runtime;
      return runtime;
    },
    killSupervisor: async (id: string) => host.killSupervisor(id),
    alive: (pid: number) => host.alive(pid),
    async close() {
      const left = [...host.tasks.keys()];
      for (const id of left) await runtime.cleanup(id);
      await runtime.close();
      if (left.length) throw new Error(`tasks left behind: ${left.join(', ')}`);
    },
  };
  return h;
});
