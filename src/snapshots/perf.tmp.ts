import { createReadStream, mkdirSync } from 'node:fs';
import { applyLayer } from './apply.ts';
mkdirSync('/tmp/berth-perf/out');
const t0 = Date.now();
const r = await applyLayer('/tmp/berth-perf/out', createReadStream('/tmp/berth-perf/u.tar', { highWaterMark: 1 << 20 }));
console.log('ours ms', Date.now() - t0);
