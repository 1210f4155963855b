import { StudioError } from '../../errors.ts';

/** A bundle (family, objective, step) that has no faithful Python translation. */
export class PythonExportError extends StudioError {
  readonly kind = 'input';
  override name = 'PythonExportError';
}
