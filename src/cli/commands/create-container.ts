// createContainer() shared by run and create: cidfile, create, "Unable to find
// image" + pull-on-missing, warnings (cli/command/container/create.go).

import { existsSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { ApiError, type Client } from '../../client/index.ts';
import type { Ctx } from '../command.ts';
import { createBody, type CreateSpec } from './container-opts.ts';

/** Pull when the image is missing (`--pull missing`, the default), as docker does. */
export const PULL_ON_MISSING = true;

/** reference.FamiliarString(reference.TagNameOnly(ref)); undefined for IDs and digests-only refs we can't name. */
export function familiarTagged(ref: string): string | undefined {
  if (/^(sha256:)?[0-9a-f]{64}$/.test(ref)) return undefined;
  if (!/^[a-z0-9]/.test(ref) || /[A-Z\s]/.test(ref.split(/[:@]/)[0] ?? '')) return undefined;
  let r = ref.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
  if (r.includes('@')) return r;
  const lastSlash = r.lastIndexOf('/');
  if (r.lastIndexOf(':') <= lastSlash) r += ':latest';
  return r;
}

export interface CreateOptions {
  name: string;
  platform: string;
  pull: string;
  quiet: boolean;
}

async function pullImage(ctx: Ctx, client: Client, image: string, o: CreateOptions): Promise<void> {
  const { displayProgress } = await import('../../client/progress.ts');
  const at = image.indexOf('@');
  const colon = image.lastIndexOf(':');
  const hasTag = at < 0 && colon > image.lastIndexOf('/');
  const { registryAuthHeader } = await import('../auth-config.ts');
  const res = await client.transport.request('POST', '/images/create', {
    query: {
      fromImage: hasTag ? image.slice(0, colon) : image,
      tag: hasTag ? image.slice(colon + 1) : at < 0 ? 'latest' : undefined,
      platform: o.platform || undefined,
    },
    headers: { 'X-Registry-Auth': registryAuthHeader(ctx.env, image) },
  });
  await displayProgress(res, { write: (s: string) => (o.quiet ? undefined : ctx.io.err(s)) });
}

/** Returns the new container's ID; throws the daemon's error. */
export async function createContainer(ctx: Ctx, spec: CreateSpec, o: CreateOptions): Promise<string> {
  const cidPath = spec.hostConfig.ContainerIDFile as string;
  let cidFd: number | undefined;
  if (cidPath) {
    if (existsSync(cidPath))
      throw new Error(`container ID file found, make sure the other container isn't running or delete ${cidPath}`);
    try {
      cidFd = openSync(cidPath, 'w');
    } catch (e) {
      throw new Error(`failed to create the container ID file: ${(e as Error).message}`);
    }
  }
  let written = false;
  try {
    const client = await ctx.client();
    const image = spec.config.Image as string;
    const named = familiarTagged(image);
    if (o.pull === 'always' && PULL_ON_MISSING) await pullImage(ctx, client, image, o);
    const body = createBody(spec);
    let res;
    try {
      res = await client.containerCreate(body, { name: o.name, platform: o.platform });
    } catch (err) {
      // Only a missing image is worth a pull (a missing network or container is a 404 too).
      if (
        !(
          err instanceof ApiError &&
          err.status === 404 &&
          /^No such image/.test(err.message) &&
          named &&
          o.pull === 'missing'
        )
      )
        throw err;
      if (!o.quiet) ctx.io.err(`Unable to find image '${named}' locally\n`);
      if (!PULL_ON_MISSING) throw err;
      await pullImage(ctx, client, image, o);
      res = await client.containerCreate(body, { name: o.name, platform: o.platform });
    }
    for (const w of res.Warnings ?? []) ctx.io.err(`WARNING: ${w}\n`);
    if (cidFd !== undefined) {
      writeSync(cidFd, res.Id);
      written = true;
    }
    return res.Id;
  } finally {
    if (cidFd !== undefined) {
      closeSync(cidFd);
      if (!written) rmSync(cidPath, { force: true });
    }
  }
}
