/** A usage or input error the CLI reports as one line on stderr with exit code 2. */
import { StudioError } from '../core/errors.ts';
export class CliError extends StudioError {
  readonly kind = 'input';
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
