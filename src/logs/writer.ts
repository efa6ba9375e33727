// JsonFileWriter: the json-file driver's writer — dockerd's records (jsonlog.ts) appended to
// <id>-json.log by a RotatingLogFile (rotation, optional compression, never throws).
import { encodeAttrs, encodeRecord } from './jsonlog.ts';
import type { LogRecord } from './jsonlog.ts';
import type { CopierMessage, MessageHandler } from './copier.ts';
import { toRecord } from './copier.ts';
import { RotatingLogFile, type RotatingLogFileOptions } from './rotating-file.ts';

export type { WriterStats } from './rotating-file.ts';

export interface JsonFileWriterOptions extends RotatingLogFileOptions {
  /** Extra attributes written into every record ("attrs"), e.g. labels/env/tag. */
  attrs?: Record<string, string>;
}

export class JsonFileWriter extends RotatingLogFile {
  readonly #rawAttrs: Buffer | undefined;

  constructor(path: string, opts: JsonFileWriterOptions = {}) {
    super(path, opts);
    this.#rawAttrs = opts.attrs && Object.keys(opts.attrs).length > 0 ? encodeAttrs(opts.attrs) : undefined;
  }

  /** Queue one record. Resolves when it is written or dropped; never rejects. */
  write(rec: LogRecord): Promise<void> {
    let buf: Buffer;
    try {
      buf = encodeRecord(rec, { rawAttrs: this.#rawAttrs });
    } catch (err) {
      this.dropUnwritten(err);
      return Promise.resolve();
    }
    return this.append(buf, rec.timeNs);
  }

  /** A copier handler writing each message as dockerd's json-file logger does. */
  readonly handler: MessageHandler = (msg: CopierMessage) => this.write(toRecord(msg));
}
