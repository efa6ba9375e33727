// Docker's multiplexed stream frame: [stream, 0, 0, 0, size uint32 BE] + payload.
// stream 0 stdin, 1 stdout, 2 stderr. TTY streams are sent raw, without frames.
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;

export function frame(stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}
