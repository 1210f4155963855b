/**
 * Model bundle, format version 2 (a folder, or the same files in a zip: zip.ts), in four modules:
 *   bundle-manifest.ts  the manifest's types and the format's constants (file names, versions)
 *   bundle-write.ts     the bundle's files as text from a fit or a search result
 *   bundle-load.ts      reading a bundle back, with every check (each failure a BundleError naming the file)
 *   bundle-predict.ts   scoring a table with a loaded bundle, predictions as CSV
 * This module re-exports them, so that importers need not know the split.
 */
export { BundleError } from './bundle-error.ts';
export * from './bundle-manifest.ts';
export * from './bundle-write.ts';
export * from './bundle-load.ts';
export * from './bundle-predict.ts';
