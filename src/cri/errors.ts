// The ONE place where an error becomes a gRPC status for the CRI (as api/errors.ts is for
// HTTP). Everything below cri/ throws BerthError kinds; anything else is INTERNAL.
import { status } from '@grpc/grpc-js';
import { kindOf, messageOf, type ErrorKind } from '../common/errors.ts';

const CODE: Record<ErrorKind, status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  unauthorized: status.UNAUTHENTICATED,
  forbidden: status.PERMISSION_DENIED,
  'not-found': status.NOT_FOUND,
  'method-not-allowed': status.UNIMPLEMENTED, // HTTP's; no CRI call raises it
  // A state that does not allow the call (not running, name in use, pod gone…).
  conflict: status.FAILED_PRECONDITION,
  'not-modified': status.OK,
  unavailable: status.UNAVAILABLE,
  'not-implemented': status.UNIMPLEMENTED,
  internal: status.INTERNAL,
};

export function grpcCodeOf(err: unknown): status {
  return CODE[kindOf(err)];
}

/** The status object grpc-js sends for a failed call. */
export function grpcError(err: unknown): { code: status; details: string } {
  return { code: grpcCodeOf(err), details: messageOf(err) };
}
