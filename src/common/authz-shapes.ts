// The shapes of an authorization question, shared by the API server that asks it and the
// authorization module that answers it: who calls, what they ask for, what they get back.

export interface UnixPeer {
  pid: number;
  uid: number;
  gid: number;
  groups: number[];
}

export interface Caller {
  /** The client certificate chain, leaf first (DER), when a TLS client presented one. */
  certs: Buffer[];
  /** The common name of the client certificate's subject. */
  cn?: string;
  /** A unix socket peer's credentials (SO_PEERCRED). */
  unix?: UnixPeer;
}

export interface Asked {
  subject: Caller;
  method: string;
  /** What the client sent on the request line (path and query, version prefix included). */
  uri: string;
  /** The path without its /v1.xx prefix. */
  path: string;
  query: URLSearchParams;
  /** Header names as the client sent them, with their values. */
  rawHeaders: string[];
  /** The body exactly as the handler will read it; undefined for streamed bodies. */
  body?: Buffer;
  /** The body as its handler decodes it (create, exec, volume create); undefined for others. */
  decoded?: unknown;
}

export interface Answered {
  status: number;
  headers: Record<string, string>;
  /** Undefined for streamed and hijacked responses, which go out as they are written. */
  body?: Buffer;
}
