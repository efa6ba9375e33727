// The parsed Dockerfile: instructions keep their raw (unexpanded) words; the executor
// expands them with the build args and ENV in scope at that point, as Docker does.
import type { Directives, Heredoc } from './lines.ts';

/** Exec form (a JSON array) or shell form (the raw text). */
export type CommandForm = { json: true; args: string[] } | { json: false; text: string };

interface Base {
  line: number;
  endLine: number;
  original: string;
}

export interface From extends Base {
  kind: 'FROM';
  image: string;
  stageName?: string;
  platform?: string;
}
export interface Run extends Base {
  kind: 'RUN';
  command: CommandForm;
  mounts: string[];
  network?: string;
  security?: string;
  heredocs: Heredoc[];
}
export interface Cmd extends Base {
  kind: 'CMD' | 'ENTRYPOINT';
  command: CommandForm;
}
export interface KeyValues extends Base {
  kind: 'ENV' | 'LABEL';
  pairs: [string, string][];
}
export interface Arg extends Base {
  kind: 'ARG';
  args: { name: string; value?: string }[];
}
export interface Expose extends Base {
  kind: 'EXPOSE';
  ports: string[];
}
export interface Copy extends Base {
  kind: 'COPY' | 'ADD';
  sources: string[];
  dest: string;
  from?: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  parents: boolean;
  checksum?: string;
  keepGitDir: boolean;
  exclude: string[];
  heredocs: Heredoc[];
}
export interface Single extends Base {
  kind: 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'MAINTAINER';
  value: string;
}
export interface Volume extends Base {
  kind: 'VOLUME';
  paths: string[];
}
export interface Shell extends Base {
  kind: 'SHELL';
  shell: string[];
}
export interface Healthcheck extends Base {
  kind: 'HEALTHCHECK';
  none: boolean;
  command?: CommandForm;
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  startInterval?: string;
  retries?: number;
}
export interface OnBuild extends Base {
  kind: 'ONBUILD';
  trigger: string;
  parsed: Instruction;
}

export type Instruction =
  | From
  | Run
  | Cmd
  | KeyValues
  | Arg
  | Expose
  | Copy
  | Single
  | Volume
  | Shell
  | Healthcheck
  | OnBuild;

export interface Stage {
  index: number;
  name?: string;
  from: From;
  instructions: Instruction[];
}

export interface Dockerfile {
  directives: Directives;
  /** ARGs before the first FROM: usable in FROM lines only. */
  metaArgs: Arg[];
  stages: Stage[];
  warnings: string[];
}
