// JsonFileWriter: the json-file driver's writer — dockerd's records (jsonlog.ts) appended to
// <id>-json.log by a RotatingLogFile (rotation, optional compression, never throws).
import { encodeAttrs, encodeRecord } from './jsonlog.ts';
import type { LogRecord, StreamName } from './jsonlog.ts';
import type { CopierMessage, MessageHandler } from './copier.ts';
import { messageBytes, toRecord } from './copier.ts';
import { RotatingLogFile, type DurableSink, type RotatingLogFileOptions } from './rotating-file.ts';

export type { DurableSink, WriterStats } from './rotating-file.ts';

export interface JsonFileWriterOptions extends RotatingLogFileOptions {
  /** Extra attributes written into every record ("attrs"), e.g. labels/env/tag. */
  attrs?: Record<string, string>;
}

export class JsonFileWriter extends RotatingLogFile {
  readonly #rawAttrs: Buffer | undefined;
  /** Stream offsets reached by the records written so far (durable output only). */
  #pos: Record<StreamName, number> | undefined;

  constructor(path: string, opts: JsonFileWriterOptions = {}) {
    super(path, opts);
    this.#rawAttrs = opts.attrs && Object.keys(opts.attrs).length > 0 ? encodeAttrs(opts.attrs) : undefined;
  }

  /** Durable output: records carry the stream offsets they end at (rotating-file.ts commits). */
  override bindDurable(d: DurableSink): void {
    super.bindDurable(d);
    this.#pos = { stdout: d.start.stdout, stderr: d.start.stderr };
  }

  /** Queue one record. Resolves when it is written or dropped; never rejects. */
  write(rec: LogRecord, end?: number): Promise<void> {
    let buf: Buffer;
    try {
      buf = encodeRecord(rec, { rawAttrs: this.#rawAttrs });
    } catch (err) {
      this.dropUnwritten(err);
      return Promise.resolve();
    }
    return this.append(buf, rec.timeNs, end === undefined ? undefined : { stream: rec.stream, at: end });
  }

  /** A copier handler writing each message as dockerd's json-file logger does. */
  readonly handler: MessageHandler = (msg: CopierMessage) => {
    if (!this.#pos) return this.write(toRecord(msg));
    this.#pos[msg.stream] += messageBytes(msg).length;
    return this.write(toRecord(msg), this.#pos[msg.stream]);
  };
}
