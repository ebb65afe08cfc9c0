// The error of a bad input to prepare (a row, a header, a file), located by file, line and
// field: its own file, so every part of prepare and the readers of prepared data can throw it.
import { AutodimError } from "../core/errors.js";

/** A bad input row, located by file, line and field. */
export class DataError extends AutodimError {
  override name = "DataError";
}
