// CRI PullImage: the Engine API's pull (shared downloads, verified layers, same store),
// with the CRI's AuthConfig as credentials. Answers the image ID, as containerd does.
import { invalidArgument, notFound } from '../../common/errors.ts';
import { parseReference } from '../../common/reference.ts';
import type * as cri from '../../cri-types/api.ts';
import type { Credentials } from '../../registry/auth.ts';
import type { ImageDeps } from '../images/deps.ts';
import type { PullRequest } from '../images/pull.ts';
import { findImage } from './images.ts';

export type PullFn = (req: PullRequest, signal: AbortSignal) => Promise<void>;

/** AuthConfig → credentials: `auth` is base64 "user:password" (kubelet's docker config form). */
export function credentialsOf(a: cri.Decoded<cri.AuthConfig> | null): Credentials | undefined {
  if (!a) return undefined;
  let { username, password } = a;
  if (a.auth) {
    const plain = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i < 0) throw invalidArgument('invalid auth configuration: "auth" is not base64 of "user:password"');
    username = plain.slice(0, i);
    password = plain.slice(i + 1);
  }
  const c: Credentials = {};
  if (username) c.username = username;
  if (password) c.password = password;
  if (a.identity_token) c.identitytoken = a.identity_token;
  if (a.registry_token) c.registrytoken = a.registry_token;
  return Object.keys(c).length ? c : undefined;
}

export async function pullImage(
  deps: ImageDeps,
  pull: PullFn,
  req: cri.Decoded<cri.PullImageRequest>,
  signal: AbortSignal,
): Promise<cri.PullImageResponse> {
  const name = req.image?.image ?? '';
  if (!name) throw invalidArgument('PullImage: no image given');
  // A bad reference is INVALID_ARGUMENT before any network traffic. No tag means "latest"
  // for the CRI (as containerd), not the Engine API's every-tag pull.
  const ref = parseReference(name);
  const tag = ref.tag || ref.digest ? undefined : 'latest';
  await pull({ fromImage: name, ...(tag ? { tag } : {}), auth: credentialsOf(req.auth) }, signal);
  const img = findImage(deps, name);
  if (!img) throw notFound(`image ${name} was pulled but is not in the store`);
  return { image_ref: img.id };
}
