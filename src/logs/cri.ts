// The Kubernetes CRI log format, one record per line, the file kubelet and crictl read:
//   <RFC 3339 time with ns> <stdout|stderr> <P|F> <content>
// F ends a line the container wrote; P is a chunk of a longer line (16 KiB copier
// partials). The file is opened in append mode; reopen() starts a new file at the same
// path after kubelet renamed the old one away (ReopenContainerLog).
import { mkdirSync, openSync, closeSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { invalidArgument } from '../common/errors.ts';
import type { CopierMessage } from './copier.ts';
import { formatTime } from './jsonlog.ts';

const SPACE = 0x20;

/** The cri driver takes one option, the file's absolute path (kubelet's log_directory/log_path). */
export function validateCriLogOpts(opts: Record<string, string>): void {
  for (const k of Object.keys(opts))
    if (k !== 'path') throw invalidArgument(`unknown log opt '${k}' for cri log driver`);
  const path = opts.path;
  if (!path?.startsWith('/') || path.split('/').includes('..'))
    throw invalidArgument('log driver "cri" needs an absolute log-opt path without ".."');
}

export function encodeCriRecord(msg: CopierMessage): Buffer {
  const last = msg.partial === undefined || msg.partial.last;
  const head = Buffer.from(`${formatTime(msg.timeNs)} ${msg.stream} ${last ? 'F' : 'P'}`);
  const out = Buffer.allocUnsafe(head.length + 1 + msg.line.length + 1);
  head.copy(out, 0);
  out[head.length] = SPACE;
  msg.line.copy(out, head.length + 1);
  out[out.length - 1] = 0x0a;
  return out;
}

export class CriLogWriter {
  private readonly path: string;
  private fd: number;

  constructor(path: string) {
    this.path = path;
    this.fd = CriLogWriter.open(path);
  }

  private static open(path: string): number {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    return openSync(path, 'a', 0o640);
  }

  // Synchronous appends: records are small, the copier already batches per line, and
  // order across stdout/stderr must be the order they were read.
  readonly handler = (msg: CopierMessage): void => {
    if (this.fd < 0) return;
    writeSync(this.fd, encodeCriRecord(msg));
  };

  /** Opens the path again (a new file when the old one was renamed away). */
  reopen(): void {
    const fd = CriLogWriter.open(this.path);
    const old = this.fd;
    this.fd = fd;
    if (old >= 0) closeSync(old);
  }

  async close(): Promise<void> {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
