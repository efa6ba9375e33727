// What the steps of a build share: the stage being built and the build-wide environment.
import type { RunConfig } from '../../oci/image-spec.ts';
import type { BuildPorts } from './ports.ts';
import type { BuildOutput, BuildRequest } from './types.ts';

export interface StageState {
  image: string;
  config: RunConfig;
  /** Build args in scope in this stage (declared by ARG, with a value). */
  args: Map<string, string>;
}

export interface StepEnv {
  ports: BuildPorts;
  req: BuildRequest;
  out: BuildOutput;
  signal: AbortSignal;
  escape: string;
  meta: Map<string, string>;
  argValue(name: string, dflt: string | undefined): string | undefined;
  used: Set<string>;
  /** Finished stages by lower-case name and by index. */
  built: Map<string, string>;
}

/** The variables a step's words expand with: the stage's build args, then its ENV over them. */
export function scopeEnv(st: StageState): Map<string, string> {
  const m = new Map(st.args);
  for (const e of st.config.Env ?? []) {
    const i = e.indexOf('=');
    m.set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1));
  }
  return m;
}
