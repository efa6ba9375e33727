// What the image store keeps beside an image's document (oci/image-spec.ts ImageDocument).
import type { Digest } from '../common/digest.ts';
import type { ImageDocument } from '../oci/image-spec.ts';

/** What we keep about an image beside its document. */
export interface ImageMeta {
  schema: number;
  id: Digest;
  parent?: Digest;
  lastTagTime?: string;
  /** Registry digests (repo@sha256:…) once pulled or pushed. */
  repoDigests?: string[];
}

export interface Image {
  readonly id: Digest;
  readonly doc: ImageDocument;
  readonly meta: ImageMeta;
  /** Size of all layers, bytes. */
  readonly size: number;
}
