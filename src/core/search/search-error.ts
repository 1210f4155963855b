/** A search that cannot run or give a model (bad options, no trial finished, an inconsistent replay). */
import { StudioError } from '../errors.ts';

export class SearchError extends StudioError {
  readonly kind = 'training';
  constructor(message: string) {
    super(message);
    this.name = 'SearchError';
  }
}
