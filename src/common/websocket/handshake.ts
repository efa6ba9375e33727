// The server's half of the opening handshake (RFC 6455 §4.2): the request is checked
// (GET, Upgrade: websocket, Connection: Upgrade, version 13, a 16-byte nonce) and the
// 101 answer carries Sec-WebSocket-Accept and at most one of the offered subprotocols.
import type { IncomingHttpHeaders } from 'node:http';
import { acceptKey } from './frames.ts';

export interface HandshakeRequest {
  key: string;
  /** Sec-WebSocket-Protocol values, in the client's order. */
  protocols: string[];
}

/** Why a request is not a WebSocket handshake we can answer, with the status to answer it. */
export class HandshakeError extends Error {
  readonly status: number;
  readonly headers: string[];
  constructor(status: number, message: string, headers: string[] = []) {
    super(message);
    this.name = 'HandshakeError';
    this.status = status;
    this.headers = headers;
  }
}

function list(v: string | string[] | undefined): string[] {
  return (Array.isArray(v) ? v : v ? [v] : []).flatMap((s) => s.split(',').map((p) => p.trim())).filter(Boolean);
}

export function isWebSocketUpgrade(headers: IncomingHttpHeaders): boolean {
  return (headers.upgrade ?? '').toLowerCase() === 'websocket';
}

export function parseHandshake(method: string | undefined, headers: IncomingHttpHeaders): HandshakeRequest {
  if (method !== 'GET') throw new HandshakeError(400, `websocket handshake must be a GET, not ${method}`);
  if (!isWebSocketUpgrade(headers)) throw new HandshakeError(400, 'missing "Upgrade: websocket"');
  if (!list(headers.connection).some((t) => t.toLowerCase() === 'upgrade'))
    throw new HandshakeError(400, 'missing "Connection: Upgrade"');
  const version = headers['sec-websocket-version'];
  if (version !== '13')
    throw new HandshakeError(426, `unsupported Sec-WebSocket-Version ${JSON.stringify(version ?? '')}`, [
      'Sec-WebSocket-Version: 13',
    ]);
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16 || !/^[A-Za-z0-9+/]{22}==$/.test(key))
    throw new HandshakeError(400, 'missing or malformed Sec-WebSocket-Key');
  return { key, protocols: list(headers['sec-websocket-protocol']) };
}

/** The 101 answer; `protocol` must be one the client offered. */
export function handshakeResponse(key: string, protocol?: string): string {
  return [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(key)}`,
    ...(protocol ? [`Sec-WebSocket-Protocol: ${protocol}`] : []),
    '',
    '',
  ].join('\r\n');
}
