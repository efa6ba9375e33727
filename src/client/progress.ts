// Reader for the JSON-lines streams the Engine API sends for pull, push, import,
// load and build: one JSON object per line (chunked), errors inside the stream.

export interface ProgressDetail {
  current?: number;
  total?: number;
}

export interface ProgressMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: ProgressDetail;
  stream?: string;
  aux?: unknown;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

/** An `error` carried inside a 200 JSON stream. */
export class StreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamError';
  }
}

/** Yields each JSON value of a newline-delimited stream (blank lines skipped). */
export async function* readJsonLines<T = ProgressMessage>(src: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  let rest = '';
  const decoder = new TextDecoder();
  for await (const chunk of src) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) yield* parseConcatenated<T>(line);
    }
  }
  rest += decoder.decode();
  if (rest.trim()) yield* parseConcatenated<T>(rest.trim());
}

// Docker's decoder is a json.Decoder: values may also be concatenated without newlines.
function* parseConcatenated<T>(text: string): Generator<T> {
  try {
    yield JSON.parse(text) as T;
    return;
  } catch {
    // split "}{" boundaries below
  }
  let depth = 0;
  let start = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        yield JSON.parse(text.slice(start, i + 1)) as T;
        start = i + 1;
      }
    }
  }
}

/**
 * Display a progress stream the simple (non-terminal) way Docker does for a pipe:
 * `id: status progress` lines; throws StreamError on an in-stream error.
 * Returns the last message with a status (import reports the new image ID there).
 */
export async function displayProgress(
  src: AsyncIterable<Buffer | string>,
  out: { write(s: string): unknown },
): Promise<ProgressMessage | undefined> {
  let last: ProgressMessage | undefined;
  for await (const msg of readJsonLines<ProgressMessage>(src)) {
    if (msg.error || msg.errorDetail?.message)
      throw new StreamError(msg.errorDetail?.message || msg.error || 'unknown error');
    if (msg.stream !== undefined) {
      out.write(msg.stream);
      continue;
    }
    if (msg.status === undefined) continue;
    last = msg;
    if (msg.progress) continue; // progress bars are only drawn on a terminal
    out.write(`${msg.id ? `${msg.id}: ` : ''}${msg.status}\n`);
  }
  return last;
}
