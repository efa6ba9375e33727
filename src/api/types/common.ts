// Shapes several resources share: the error body, `{ "Id": … }` answers, labels.
// Types in api/types are the Engine API's wire shapes (API_VERSION of common/api-version.ts,
// moby's api/swagger.yaml and api/types at that version), field names as on the wire.
//
// Conventions:
// - A struct a client sends and the daemon shows back (Config, HostConfig, Mount,
//   EndpointSettings …) has every field optional: a request may leave any out. Decoded
//   requests (api/decode/) never carry null; Go's nil slices and maps show as null, so the
//   types admit it where Docker's answers do.
// - A shape only the daemon sends has a field optional exactly when dockerd leaves it out
//   (`omitempty`).
// - A Go string type with known values is `Known | (string & {})`: the known values for
//   readers and editors, any string for what a client may send.

/** Docker's error body, for every status ≥ 400. */
export interface ErrorResponse {
  message: string;
}

/** The answer of a create-like call (exec create, commit). */
export interface IdResponse {
  Id: string;
}

export type Labels = Record<string, string>;

/** GraphDriver of an image's or a container's inspect: overlay2's directories. */
export interface GraphDriverData {
  Name: string;
  Data: Record<string, string> | null;
}

/** A string type with well-known values that still admits any string. */
export type OpenString<Known extends string> = Known | (string & {});
