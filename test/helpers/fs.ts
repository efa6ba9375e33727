// Helpers for filesystem tests: read a tar into a list, start a container and wait for its exit.
import { Readable } from 'node:stream';
import { TarReader } from '../../src/tar/reader.ts';
import type { TestDaemon } from './daemon.ts';

export interface ListedEntry {
  name: string;
  type: string;
  linkname: string;
  mode: number;
  uid: number;
  gid: number;
  body?: string;
  size: number;
}

/** Every entry of a tar; bodies of small files as text. */
export async function listTar(buf: Buffer): Promise<ListedEntry[]> {
  const reader = new TarReader(Readable.from([buf]));
  const out: ListedEntry[] = [];
  for (;;) {
    const e = await reader.next();
    if (!e) break;
    const chunks: Buffer[] = [];
    for await (const c of e.body) chunks.push(c);
    const h = e.header;
    out.push({
      name: h.name,
      type: h.type,
      linkname: h.linkname,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      size: h.size,
      body: h.type === 'file' && h.size < 4096 ? Buffer.concat(chunks).toString() : undefined,
    });
  }
  return out;
}

/** start → wait for the exit; returns the exit code. */
export async function startAndWait(d: TestDaemon, id: string): Promise<number> {
  const wait = d.api('POST', `/containers/${id}/wait?condition=next-exit`);
  const s = await d.api('POST', `/containers/${id}/start`);
  if (s.status !== 204) throw new Error(`start failed: ${s.status} ${s.body}`);
  return (await wait).json().StatusCode;
}
