// A real terminal for interactive tests: a detached tmux session on a private server,
// driven with send-keys and read with capture-pane.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const hasTmux = () => existsSync('/usr/bin/tmux') || existsSync('/usr/local/bin/tmux');

export class Terminal {
  private readonly server: string;
  private readonly name = 't';

  /** Starts `command` (a shell command line) in a new window of the given size. */
  constructor(command: string, opts: { width?: number; height?: number; env?: Record<string, string> } = {}) {
    this.server = `berth-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const env = Object.entries(opts.env ?? {})
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ');
    // The command's status is printed after it ends, and the window stays for reading.
    const line = `${env} ${command}; echo "[exit=$?]"; stty -a | grep -o -- '-\\?icanon' | head -1; sleep 600`;
    this.tmux(
      'new-session',
      '-d',
      '-s',
      this.name,
      '-x',
      String(opts.width ?? 100),
      '-y',
      String(opts.height ?? 30),
      line,
    );
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.server, ...args], { encoding: 'utf8' });
  }

  /** Types text; `keys` are tmux key names (Enter, C-p …). */
  type(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text);
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.name);
  }

  resize(width: number, height: number): void {
    this.tmux('resize-window', '-t', this.name, '-x', String(width), '-y', String(height));
  }

  /** Waits for the screen to show `re`; `ms` is only an overall limit, generous for a loaded host. */
  async waitFor(re: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
    const deadline = performance.now() + ms;
    for (;;) {
      const m = re.exec(this.screen());
      if (m) return m;
      if (performance.now() > deadline) throw new Error(`terminal never showed ${re}; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      /* gone */
    }
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Asks the shell for its size until it reports `rows cols`: a resize travels terminal, CLI,
 * berthd, shim and pty, which takes a while on a loaded host (no fixed pause is enough), so
 * the question is asked again rather than waiting on one early answer.
 */
export async function sizeBecomes(t: Terminal, rows: number, cols: number): Promise<void> {
  const re = new RegExp(`^${rows} ${cols}$`, 'm');
  const deadline = Date.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    t.type('stty size');
    t.keys('Enter');
    try {
      await t.waitFor(re, 1000);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      if (attempt % 5 === 0) {
        // The docker CLI takes SIGWINCH only once its first resize call has answered; a window
        // resized before that (a loaded host) is lost for it. Resize again, as a user would,
        // pausing between the steps: tmux applies a shrink-and-restore given at once as the
        // shrink first and the restore up to 250 ms later.
        t.resize(cols - 1, rows);
        await new Promise((r) => setTimeout(r, 500));
        t.resize(cols, rows);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
