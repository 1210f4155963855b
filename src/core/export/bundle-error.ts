/** Every problem with a model bundle (folder or zip) is a BundleError with a specific message. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}
