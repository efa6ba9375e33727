// Volume names. The local driver builds `<data-root>/volumes/<name>/_data` from the name,
// so a name is one path component made only of Docker's restricted characters: no `/`,
// no `..`, no NUL, and short enough to be a file name.
import { invalidArgument } from '../common/errors.ts';

export const RESTRICTED_NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** NAME_MAX: longer names cannot be a directory entry. */
const MAX_NAME_BYTES = 255;

/** Set on volumes made without a name (Config.Volumes, `--mount type=volume` without src). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** Throws Docker's messages (400) for a name the local driver cannot store. */
export function validateVolumeName(name: string): void {
  if (name.length === 1) {
    throw invalidArgument('volume name is too short, names should be at least two alphanumeric characters');
  }
  if (!NAME_RE.test(name)) {
    throw invalidArgument(
      `${JSON.stringify(name)} includes invalid characters for a local volume name, only ${JSON.stringify(RESTRICTED_NAME_CHARS)} are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw invalidArgument(`volume name is too long: ${name.length} characters, at most ${MAX_NAME_BYTES} are allowed`);
  }
}
