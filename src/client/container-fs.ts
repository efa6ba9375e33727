// Engine API calls on a container's filesystem that answer JSON: changes (diff) and commit.
import type { Client } from './index.ts';
import type { ContainerConfig, FilesystemChange, IdResponse } from '../api/types/index.ts';

export const containerChanges = async (c: Client, id: string): Promise<FilesystemChange[]> =>
  (await c.transport.json<FilesystemChange[] | null>('GET', `/containers/${encodeURIComponent(id)}/changes`)) ?? [];

export interface CommitOptions {
  container: string;
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause?: boolean;
  changes?: string[];
  /** Config overrides for the new image. */
  config?: ContainerConfig;
}

export const containerCommit = (c: Client, o: CommitOptions) =>
  c.transport.json<IdResponse>('POST', '/commit', {
    query: {
      container: o.container,
      repo: o.repo,
      tag: o.tag,
      comment: o.comment,
      author: o.author,
      pause: o.pause,
      changes: o.changes?.length ? o.changes : undefined,
    },
    body: o.config,
  });
