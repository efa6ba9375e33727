// A volume's durable record: what was asked for at create. The data itself is the
// driver's business (the local driver's `_data` directory, or a plugin's storage).
import { isObject } from '../common/json.ts';

export const LOCAL_DRIVER = 'local';

export interface VolumeRecord {
  schema: 1;
  name: string;
  /** `local` or the name of a volume plugin. */
  driver: string;
  /** RFC 3339, seconds precision (Docker's CreatedAt). */
  createdAt: string;
  /** As the client sent them: null and {} are both kept (inspect shows them as given). */
  labels: Record<string, string> | null;
  options: Record<string, string> | null;
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  isObject(v) && Object.values(v).every((x) => typeof x === 'string');

export function isVolumeRecord(v: unknown): v is VolumeRecord {
  return (
    isObject(v) &&
    v.schema === 1 &&
    typeof v.name === 'string' &&
    typeof v.driver === 'string' &&
    v.driver !== '' &&
    typeof v.createdAt === 'string' &&
    (v.labels === null || isStringMap(v.labels)) &&
    (v.options === null || isStringMap(v.options))
  );
}

export const isAnonymous = (r: VolumeRecord, label: string) => r.labels !== null && label in r.labels;
