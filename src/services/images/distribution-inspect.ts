// GET /distribution/{name}/json: what a reference points at in its registry, without
// pulling — the descriptor of the manifest (or index) and the platforms it serves, as
// dockerd answers: an index lists its entries' platforms, a Docker schema 2 manifest the
// platform of its config, an OCI image manifest none (null). Mirrors first for docker.io.
import type { OpContext } from '../../common/context.ts';
import { BerthError, internal, isKind, messageOf, notFound } from '../../common/errors.ts';
import { parseReference } from '../../common/reference.ts';
import { MediaType, type Platform } from '../../oci/image-spec.ts';
import type { Credentials } from '../../registry/auth.ts';
import { connect } from '../../registry/hosts.ts';
import { MAX_CONFIG_BYTES, asDigest, parseManifest } from '../../registry/manifest.ts';
import type { DistributionDeps } from './distribution-deps.ts';

export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: Platform[] | null;
}

export async function inspectDistribution(
  deps: DistributionDeps,
  ctx: OpContext,
  name: string,
  auth?: Credentials,
): Promise<DistributionInspect> {
  // An image ID (bare or sha256:-prefixed) names no repository.
  if (/^(sha256:)?[a-f0-9]{64}$/.test(name)) throw internal('no manifest found for full image ID');
  const ref = parseReference(name);
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const clients = await connect(ref.domain, deps.registry, auth, { signal: ctx.signal });
  let lastErr: unknown;
  for (const client of clients) {
    try {
      const m = await client.getManifest(ref.path, reference, ctx.signal).catch((err) => {
        // The registry's own words ("manifest unknown: manifest unknown"), as dockerd shows them.
        if (isKind(err, 'not-found') && err instanceof BerthError && err.cause) throw notFound(messageOf(err.cause));
        throw err;
      });
      const parsed = parseManifest(m.bytes, m.contentType);
      const out: DistributionInspect = {
        Descriptor: { mediaType: parsed.mediaType, digest: m.digest, size: m.bytes.length },
        Platforms: null,
      };
      if (parsed.kind === 'index') {
        out.Platforms = parsed.doc.manifests.map((d) => platformOf(d.platform ?? {}));
      } else if (parsed.mediaType === MediaType.DockerManifest) {
        // The config's own os/architecture; a config that cannot be read leaves it out.
        const cfg = parsed.doc.config;
        const bytes = await client
          .getBlobBytes(ref.path, asDigest(cfg.digest), cfg.size, MAX_CONFIG_BYTES, ctx.signal)
          .catch(() => undefined);
        const p = bytes ? configPlatform(bytes) : undefined;
        if (p) out.Platforms = [p];
      }
      return out;
    } catch (err) {
      lastErr = err;
    }
  }
  throw lastErr;
}

/** The fields of an OCI platform (os and architecture always present, the rest when set). */
function platformOf(p: Partial<Platform>): Platform {
  const out: Platform = { architecture: p.architecture ?? '', os: p.os ?? '' };
  if (p['os.version']) out['os.version'] = p['os.version'];
  if (p['os.features']?.length) out['os.features'] = p['os.features'];
  if (p.variant) out.variant = p.variant;
  return out;
}

function configPlatform(bytes: Buffer): Platform | undefined {
  let j: Partial<Platform>;
  try {
    j = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!j || typeof j !== 'object' || (!j.os && !j.architecture)) return undefined;
  return platformOf(j);
}
