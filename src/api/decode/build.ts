// POST /build's JSON query parameters (moby's build router at API 1.47), and the body of
// POST /build/context: Berth's own endpoint, read with the same decoder so a wrong type
// gets the same kind of message.
import type { BuildContextEntry, BuildContextManifest, BuildOutput } from '../types/build.ts';
import { int64, jsonKind, map, nullable, slice, str, struct, type GoType } from './go-json.ts';

export { ulimits as buildUlimits } from './containers.ts';

/** buildargs: an ARG given without a value is null. */
export const buildArgs = map(nullable(str), 'map[string]*string');
export const buildLabels = map(str);
export const cacheFrom = slice(str);
/** outputs (API 1.40+): []build.BuildOutput. */
export const buildOutputs = slice(struct<BuildOutput>('build.BuildOutput', { Type: str, Attrs: map(str) }));

/** Milliseconds with fractions: any JSON number. */
const mtime: GoType<number> = {
  name: 'float64',
  zero: () => 0,
  read: (v, d, at) => (typeof v === 'number' ? v : d.mismatch(jsonKind(v), 'float64', at)),
};

export const buildContextManifest = struct<BuildContextManifest>('context.Manifest', {
  entries: slice(
    struct<BuildContextEntry>('context.Entry', {
      name: str,
      type: str,
      mode: int64,
      uid: int64,
      gid: int64,
      size: int64,
      mtime,
      linkname: str,
    }),
  ),
});
