// X-Berth-Build-Secrets: berth build's `--secret` values, which the legacy /build protocol
// has no field for. base64 of a JSON object {id: base64 value}. Kept in memory for the one
// build; error messages never quote the header.
import type { IncomingHttpHeaders } from 'node:http';
import { invalidArgument } from '../../common/errors.ts';

export const SECRETS_HEADER = 'x-berth-build-secrets';

export function buildSecrets(headers: IncomingHttpHeaders): Map<string, Buffer> | undefined {
  const raw = headers[SECRETS_HEADER];
  if (raw === undefined) return undefined;
  const bad = () =>
    invalidArgument(`invalid ${SECRETS_HEADER} header: expected base64 of a JSON object of base64 values`);
  if (typeof raw !== 'string' || !/^[A-Za-z0-9+/=\s]*$/.test(raw)) throw bad();
  let obj: unknown;
  try {
    obj = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw bad();
  const out = new Map<string, Buffer>();
  for (const [id, v] of Object.entries(obj)) {
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/=]*$/.test(v)) throw bad();
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(id))
      throw invalidArgument(`invalid secret id ${JSON.stringify(id.slice(0, 128))}`);
    out.set(id, Buffer.from(v, 'base64'));
  }
  return out;
}
