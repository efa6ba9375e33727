// The API's TLS settings from --tls/--tlsverify/--tlscacert/--tlscert/--tlskey, as dockerd
// reads them: TLS 1.2 at least; with verification, a client certificate signed by the CA
// (only that CA, not the system's) is required.
import { readFile } from 'node:fs/promises';
import { createSecureContext, type TlsOptions } from 'node:tls';
import { invalidArgument, messageOf } from '../common/errors.ts';
import type { DaemonConfig } from './config.ts';

export async function serverTls(c: DaemonConfig): Promise<TlsOptions | undefined> {
  if (!c.tls) return undefined;
  if (!c.tlsCert || !c.tlsKey)
    throw invalidArgument(
      'invalid TLS configuration: a server certificate and key are needed (--tlscert and --tlskey, or cert.pem and key.pem in $DOCKER_CERT_PATH or ~/.docker)',
    );
  const read = async (p: string, what: string) => {
    try {
      return await readFile(p);
    } catch (err) {
      throw invalidArgument(`invalid TLS configuration: could not read ${what} ${p}: ${messageOf(err)}`);
    }
  };
  const opts: TlsOptions = {
    cert: await read(c.tlsCert, 'certificate'),
    key: await read(c.tlsKey, 'key'),
    minVersion: 'TLSv1.2',
    requestCert: c.tlsVerify,
    rejectUnauthorized: c.tlsVerify,
  };
  if (c.tlsVerify) opts.ca = await read(c.tlsCaCert, 'CA certificate');
  try {
    createSecureContext(opts); // a key that does not match its certificate fails here, not per connection
  } catch (err) {
    throw invalidArgument(`invalid TLS configuration: ${messageOf(err)}`);
  }
  return opts;
}
