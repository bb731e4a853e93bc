// The one error of reading a disk chain: a failure the user can act on, one line and a hint.
import { UserError } from '../../util/errors.js';

export class DiskChainError extends UserError {
  declare readonly hint: string;
}
