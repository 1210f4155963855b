/** Every problem with a model bundle (folder or zip) is a BundleError with a specific message. */
import { StudioError } from '../errors.ts';
export class BundleError extends StudioError {
  readonly kind = 'bundle';
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}
