/**
 * An error the user can act on (bad input, missing file, damaged cache): the CLI prints its
 * message without a stack trace and exits 1. Messages name the file, line and field.
 */
export class AutodimError extends Error {
  override name = "AutodimError";
}
