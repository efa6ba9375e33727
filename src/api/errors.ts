// The ONE place where an error becomes an HTTP status. Everything below api/ throws
// BerthError kinds; anything else is a 500 with its message.
import type { ServerResponse } from 'node:http';
import { kindOf, messageOf, type ErrorKind } from '../common/errors.ts';

const STATUS: Record<ErrorKind, number> = {
  'invalid-argument': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  'not-modified': 304,
  unavailable: 503,
  'not-implemented': 501,
  internal: 500,
};

export function statusOf(err: unknown): number {
  return STATUS[kindOf(err)];
}

/** Writes Docker's error body, or ends the response when headers already went out. */
export function sendError(res: ServerResponse, err: unknown): void {
  const status = statusOf(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (status === 304) {
    res.writeHead(304).end();
    return;
  }
  const body = JSON.stringify({ message: messageOf(err) }) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
