/** Something mounted over a destination inside a private view of a container's filesystem. */
export interface ViewBind {
  /** A host path, or /proc/self/fd/N of a directory held open. */
  source: string;
  destination: string;
  readonly: boolean;
}
