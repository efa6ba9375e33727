// Docker's pull/push display: on a terminal one line per layer redrawn in place (status
// and bar), elsewhere plain "id: status" lines. Throws StreamError on an in-band error.
import { readJsonLines, StreamError, type ProgressMessage } from '../client/progress.ts';

export async function showProgress(
  src: AsyncIterable<Buffer | string>,
  out: { write(s: string): unknown },
  tty: boolean,
): Promise<ProgressMessage[]> {
  const all: ProgressMessage[] = [];
  const ids: string[] = [];
  const text = new Map<string, string>();
  for await (const msg of readJsonLines<ProgressMessage>(src)) {
    all.push(msg);
    if (msg.error || msg.errorDetail?.message)
      throw new StreamError(msg.errorDetail?.message || msg.error || 'unknown error');
    if (msg.stream !== undefined) {
      out.write(msg.stream);
      continue;
    }
    if (msg.status === undefined) continue;
    const line = `${msg.id ? `${msg.id}: ` : ''}${msg.status}${msg.progress ? ` ${msg.progress}` : ''}`;
    if (!tty) {
      if (!msg.progress) out.write(line + '\n');
      continue;
    }
    if (!msg.id) {
      out.write(line + '\n');
      ids.length = 0;
      text.clear();
      continue;
    }
    if (!text.has(msg.id)) {
      ids.push(msg.id);
      text.set(msg.id, line);
      out.write(line + '\n');
      continue;
    }
    text.set(msg.id, line);
    const up = ids.length - ids.indexOf(msg.id);
    out.write(`\x1b[${up}A\r\x1b[2K${line}\r\x1b[${up}B`);
  }
  return all;
}
