// The pod sandbox's image: the configured one, pulled when missing; the default
// `localhost/berth-pause:catatonit` is made here from Debian's static catatonit (as podman
// builds its pause image), so pods need no registry.
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { internal } from '../../common/errors.ts';
import { tarToBuffer } from '../../tar/writer.ts';
import { importImage } from '../images/import.ts';
import type { Image } from '../../images/types.ts';
import { opOf, type CriDeps } from './deps.ts';
import { parseReference } from '../../common/reference.ts';
import { findImage } from './images.ts';

export const DEFAULT_SANDBOX_IMAGE = 'localhost/berth-pause:catatonit';

export async function sandboxImage(deps: CriDeps, signal: AbortSignal): Promise<Image> {
  const name = deps.settings.sandboxImage;
  const have = findImage(deps.images, name);
  if (have) return have;
  if (name === DEFAULT_SANDBOX_IMAGE) {
    let bin: Buffer;
    try {
      bin = await readFile(deps.settings.catatonitPath);
    } catch (err) {
      throw internal(`the sandbox image needs ${deps.settings.catatonitPath} (Debian's catatonit)`, err);
    }
    const tar = await tarToBuffer([
      { entry: { name: 'catatonit', type: 'file', mode: 0o755 }, body: bin },
      ...['dev', 'proc', 'sys', 'etc', 'tmp'].map((d) => ({ entry: { name: `${d}/`, type: 'dir' as const } })),
    ]);
    await importImage(deps.images, opOf(deps, signal), {
      src: Readable.from([tar]),
      repo: 'localhost/berth-pause',
      tag: 'catatonit',
      changes: ['ENTRYPOINT ["/catatonit", "-P"]'],
    });
  } else {
    // An untagged name is :latest here too, not the Engine API's every-tag pull.
    const ref = parseReference(name);
    await deps.pull({ fromImage: name, ...(ref.tag || ref.digest ? {} : { tag: 'latest' }) }, signal);
  }
  const img = findImage(deps.images, name);
  if (!img) throw internal(`sandbox image ${name} is not in the store after making it`);
  return img;
}
