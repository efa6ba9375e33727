// Loads the vendored CRI v1 protocol (vendor/cri-api/api.proto) into gRPC service
// definitions. Fields keep the proto's snake_case names; int64s travel as decimal strings
// (nanosecond times do not fit a double); enums as their names.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';

/** The k8s.io/cri-api release the vendored api.proto comes from. */
export const CRI_API_VERSION = 'v0.37.0';
/** What Version reports as the runtime API version. */
export const RUNTIME_API_VERSION = 'v1';

function protoPath(): string {
  // From src/cri (tests from source) or dist/src/cri (the build): the repository root is above.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'vendor', 'cri-api', 'api.proto');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error('vendor/cri-api/api.proto not found');
}

export interface CriServices {
  runtime: ServiceDefinition;
  image: ServiceDefinition;
}

let loaded: CriServices | undefined;

export function criServices(): CriServices {
  if (loaded) return loaded;
  const pkg = loadSync(protoPath(), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    arrays: true,
    objects: true,
    oneofs: true,
  });
  loaded = {
    runtime: pkg['runtime.v1.RuntimeService'] as ServiceDefinition,
    image: pkg['runtime.v1.ImageService'] as ServiceDefinition,
  };
  return loaded;
}
