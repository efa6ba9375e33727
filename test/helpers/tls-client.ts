// HTTPS requests to a test daemon's TLS port as a client certificate's owner.
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from './http.ts';

export interface TlsClient {
  api(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string> }): Promise<Response>;
}

/** `certDir` holds ca.pem, cert.pem and key.pem (DOCKER_CERT_PATH's layout). */
export function tlsClient(port: number, certDir: string): TlsClient {
  const ca = readFileSync(join(certDir, 'ca.pem'));
  const cert = readFileSync(join(certDir, 'cert.pem'));
  const key = readFileSync(join(certDir, 'key.pem'));
  return {
    api: (method, path, opts = {}) =>
      new Promise((resolve, reject) => {
        const headers: Record<string, string> = { ...opts.headers };
        const payload =
          opts.body === undefined
            ? undefined
            : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
        if (payload) headers['Content-Type'] ??= 'application/json';
        const req = request(
          { host: '127.0.0.1', port, method, path, headers, ca, cert, key, agent: false, timeout: 60_000 },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const body = Buffer.concat(chunks);
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body,
                json: () => JSON.parse(body.toString()),
              });
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
        req.on('error', reject);
        req.end(payload);
      }),
  };
}
