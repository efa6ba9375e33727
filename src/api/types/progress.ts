// The JSON message streams of pull, push, import, load and build: one object per line.

export interface ProgressDetail {
  current?: number;
  total?: number;
}

export interface ErrorDetail {
  /** A failed RUN's exit status, where there is one. */
  code?: number;
  message: string;
}

export interface ProgressMessage {
  id?: string;
  status?: string;
  progress?: string;
  progressDetail?: ProgressDetail;
  /** Build output. */
  stream?: string;
  /** Deprecated: errorDetail.message. */
  error?: string;
  errorDetail?: ErrorDetail;
  /** Extra data: the image ID of a build ({"ID": …}), a push's digest and size. */
  aux?: Record<string, unknown>;
}
