// The bounds on request bodies (api/body.ts): a buffered (JSON) body must arrive within
// 60 s, a streamed one (archives, build contexts) may stall 60 s at most and be no larger
// than the data root's free space (it could not be stored anyway).
// BERTHD_BODY_TIMEOUTS="<buffered ms>,<idle ms>" shortens the times (tests).
import { statfsSync } from 'node:fs';
import { DEFAULT_BODY_LIMITS, type BodyLimits } from '../api/body.ts';
import type { DaemonConfig } from './config.ts';

export function bodyLimitsFor(config: DaemonConfig, env: NodeJS.ProcessEnv = process.env): BodyLimits {
  const [deadline, idle] = (env.BERTHD_BODY_TIMEOUTS ?? '').split(',').map(Number);
  return {
    bufferedDeadlineMs: deadline > 0 ? deadline : DEFAULT_BODY_LIMITS.bufferedDeadlineMs,
    streamIdleMs: idle > 0 ? idle : DEFAULT_BODY_LIMITS.streamIdleMs,
    streamMax: () => {
      try {
        const s = statfsSync(config.dataRoot);
        return Number(s.bavail) * Number(s.bsize);
      } catch {
        return Number.MAX_SAFE_INTEGER;
      }
    },
  };
}
