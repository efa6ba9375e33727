// The process model under the fake task runtime: a "host" whose processes are JavaScript
// functions with stdio, signals, children and a terminal size. It outlives the runtime
// objects that drive it, as real containers outlive berthd, so a test can restart the owner.
//
// Rules it keeps (the kernel's and the shim's): a container's init ignores signals it has
// no handler for (pid 1 of a pid namespace), other processes die of them (128 + signal);
// SIGKILL always kills; when the init exits every other process of the container is
// killed; a frozen container makes no progress (its I/O waits) and receives its signals
// once thawed; a FIFO buffers output while nobody reads it.
import { PassThrough } from 'node:stream';
import type { TaskExit } from '../containers/ports.ts';

export const SIGKILL = 9;
const SIGNUM: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 };
/** Signals whose default action is to do nothing. */
const IGNORED_BY_DEFAULT = new Set([17, 18, 23, 28]); // SIGCHLD, SIGCONT, SIGURG, SIGWINCH

/** What a fake program sees of itself. */
export interface FakeProcess {
  readonly pid: number;
  readonly args: string[];
  readonly env: string[];
  readonly terminal: boolean;
  /** Value of an environment variable. */
  getenv(name: string): string | undefined;
  /** Writes to stdout (waits while the container is frozen). */
  write(text: string): Promise<void>;
  /** Writes to stderr (stdout with a terminal). */
  writeErr(text: string): Promise<void>;
  /** The next chunk of stdin; null at end of file or without stdin. */
  read(): Promise<string | null>;
  /** The next line of stdin (without its newline); null at end of file. */
  readLine(): Promise<string | null>;
  /** Installs a handler: the signal no longer takes its default action. */
  onSignal(name: keyof typeof SIGNUM, handler: () => void): void;
  /** Starts a child process that runs until it is killed. */
  spawnChild(): number;
  /** Resolves when every child has ended. */
  waitChildren(): Promise<void>;
  /** The terminal's size. */
  size(): { rows: number; cols: number };
  /** Never resolves: the program runs until a signal ends it. */
  forever(): Promise<never>;
}

/** A program: resolves with its exit code. */
export type FakeProgram = (p: FakeProcess) => Promise<number>;

/** The gate a frozen container's processes wait at. */
export class Freezer {
  private thawed: Promise<void> = Promise.resolve();
  private thaw: (() => void) | undefined;
  get frozen(): boolean {
    return this.thaw !== undefined;
  }
  freeze(): void {
    if (this.thaw) return;
    this.thawed = new Promise((r) => (this.thaw = r));
  }
  resume(): void {
    const t = this.thaw;
    this.thaw = undefined;
    t?.();
  }
  pass(): Promise<void> {
    return this.thawed;
  }
}

export type ProcessState = 'created' | 'running' | 'exited';

/** One process of a fake container. Its stdio are the FIFOs: they outlive any reader. */
export class HostProcess {
  readonly pid: number;
  readonly args: string[];
  readonly env: string[];
  readonly terminal: boolean;
  readonly isInit: boolean;
  readonly stdin: PassThrough | null;
  readonly stdout = new PassThrough();
  readonly stderr: PassThrough;
  state: ProcessState = 'created';
  exit: TaskExit | undefined;
  readonly exited: Promise<TaskExit>;
  size = { rows: 0, cols: 0 };
  readonly children = new Set<HostProcess>();
  private readonly handlers = new Map<number, () => void>();
  private readonly pending: number[] = [];
  private settle!: (e: TaskExit) => void;
  private readonly freezer: Freezer;
  private readonly host: FakeHost;
  private stdinBuffer = '';
  private stdinEnded = false;
  private stdinWaiters: (() => void)[] = [];

  constructor(
    host: FakeHost,
    o: { args: string[]; env: string[]; terminal: boolean; isInit: boolean; stdin: boolean; freezer: Freezer },
  ) {
    this.host = host;
    this.pid = host.nextPid();
    this.args = o.args;
    this.env = o.env;
    this.terminal = o.terminal;
    this.isInit = o.isInit;
    this.freezer = o.freezer;
    this.stderr = o.terminal ? this.stdout : new PassThrough();
    this.stdin = o.stdin ? new PassThrough() : null;
    this.exited = new Promise((r) => (this.settle = r));
    if (this.stdin) {
      this.stdin.on('data', (b: Buffer) => {
        this.stdinBuffer += b.toString();
        this.wakeReaders();
      });
      this.stdin.on('end', () => {
        this.stdinEnded = true;
        this.wakeReaders();
      });
    }
    host.processes.set(this.pid, this);
  }

  get alive(): boolean {
    return this.state !== 'exited';
  }

  /** Runs `program` (its exit code ends the process unless a signal did first). */
  run(program: FakeProgram): void {
    this.state = 'running';
    program(this.api()).then(
      (code) => this.end(code),
      () => this.end(255),
    );
  }

  /** Delivers a signal; a frozen process gets it (but SIGKILL) once thawed. */
  signal(sig: number): void {
    if (!this.alive) return;
    if (sig === SIGKILL) {
      this.end(128 + SIGKILL);
      return;
    }
    if (this.freezer.frozen) {
      this.pending.push(sig);
      void this.freezer.pass().then(() => this.flushPending());
      return;
    }
    this.deliver(sig);
  }

  private flushPending(): void {
    for (const sig of this.pending.splice(0)) this.deliver(sig);
  }

  private deliver(sig: number): void {
    if (!this.alive) return;
    const handler = this.handlers.get(sig);
    if (handler) handler();
    else if (this.isInit || IGNORED_BY_DEFAULT.has(sig)) return;
    else this.end(128 + sig);
  }

  /** Ends the process: its children die with it, its output ends, its waiters are told. */
  end(code: number): void {
    if (!this.alive) return;
    this.state = 'exited';
    for (const c of this.children) c.end(128 + SIGKILL);
    this.exit = { exitCode: code, exitedAt: new Date().toISOString() };
    this.stdout.end();
    if (this.stderr !== this.stdout) this.stderr.end();
    this.wakeReaders();
    this.settle(this.exit);
  }

  private wakeReaders(): void {
    for (const w of this.stdinWaiters.splice(0)) w();
  }

  private async takeStdin(line: boolean): Promise<string | null> {
    for (;;) {
      await this.freezer.pass();
      if (!this.alive) return new Promise<never>(() => {});
      const nl = this.stdinBuffer.indexOf('\n');
      if (line ? nl >= 0 : this.stdinBuffer.length > 0) {
        const n = line ? nl + 1 : this.stdinBuffer.length;
        const out = this.stdinBuffer.slice(0, n);
        this.stdinBuffer = this.stdinBuffer.slice(n);
        return line ? out.slice(0, -1) : out;
      }
      if (this.stdinEnded || !this.stdin) {
        if (line && this.stdinBuffer) {
          const rest = this.stdinBuffer;
          this.stdinBuffer = '';
          return rest;
        }
        return null;
      }
      await new Promise<void>((r) => this.stdinWaiters.push(r));
    }
  }

  private api(): FakeProcess {
    const write = async (stream: PassThrough, text: string) => {
      await this.freezer.pass();
      if (this.alive) stream.write(text);
    };
    return {
      pid: this.pid,
      args: this.args,
      env: this.env,
      terminal: this.terminal,
      getenv: (name) =>
        this.env
          .filter((e) => e.startsWith(`${name}=`))
          .pop()
          ?.slice(name.length + 1),
      write: (text) => write(this.stdout, text),
      writeErr: (text) => write(this.stderr, text),
      read: () => this.takeStdin(false),
      readLine: () => this.takeStdin(true),
      onSignal: (name, handler) => void this.handlers.set(SIGNUM[name], handler),
      spawnChild: () => {
        const child = new HostProcess(this.host, {
          args: ['child'],
          env: this.env,
          terminal: false,
          isInit: false,
          stdin: false,
          freezer: this.freezer,
        });
        child.state = 'running';
        this.children.add(child);
        return child.pid;
      },
      waitChildren: async () => {
        await Promise.all([...this.children].map((c) => c.exited));
      },
      size: () => this.size,
      forever: () => new Promise<never>(() => {}),
    };
  }
}

/** The fake machine: every process by pid, and pids handed out in order. */
export class FakeHost {
  readonly processes = new Map<number, HostProcess>();
  private pid = 1000;
  nextPid(): number {
    return ++this.pid;
  }
  alive(pid: number): boolean {
    return this.processes.get(pid)?.alive ?? false;
  }
}
