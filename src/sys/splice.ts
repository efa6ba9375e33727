// splice(2) from a pipe into a regular file at an explicit offset: the kernel moves the
// bytes, so a process killed at any instant has either moved them (they are in the file)
// or not (they are still in the pipe) — never read and lost.
import koffi from 'koffi';
import { sysError } from './libc.ts';

type Fn = (...args: unknown[]) => number | bigint;
let splice: Fn | undefined;

const SPLICE_F_MOVE = 1;
const SPLICE_F_NONBLOCK = 2;
const EAGAIN = 11;

/**
 * Moves up to `len` bytes from the pipe `fdIn` (opened O_NONBLOCK) into `fdOut` at
 * `offset`. Returns the bytes moved, 0 at end of file (no writer left, pipe empty), or
 * -1 when the pipe is empty for now.
 */
export function spliceToFile(fdIn: number, fdOut: number, offset: number, len: number): number {
  splice ??= koffi
    .load('libc.so.6')
    .func(
      'long splice(int fd_in, void *off_in, int fd_out, _Inout_ int64_t *off_out, size_t len, unsigned int flags)',
    ) as unknown as Fn;
  const off = [offset];
  const n = Number(splice(fdIn, null, fdOut, off, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
  if (n >= 0) return n;
  const errno = koffi.errno();
  if (errno === EAGAIN) return -1;
  throw sysError('splice', errno);
}
