// Inside berthd, rotating a log file's chain and taking a reader's view of it exclude each
// other: a rotation renames several files one after the other, and a reader listing and
// opening the chain in between would see a mix of before and after. Both sides hold the
// lock only for renames and opens, never for writing or inflating.
import { KeyedMutex } from '../common/mutex.ts';

const chains = new KeyedMutex();

export function withChainLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  return chains.run(path, fn);
}
