/**
 * Packing an existing bundle folder's files for export: a format 1 manifest is upgraded to format 2
 * (fields it never recorded are marked unknown), and the derived files a folder may lack (metrics,
 * signature, model card) are added, with the given scorer as predict.mjs.
 */
import {
  BUNDLE_FILES,
  BUNDLE_FORMAT_VERSION,
  WEBGPU_TOLERANCE,
  checkManifest,
  signatureOf,
  type BundleManifest,
} from './bundle.ts';
import { BundleError } from './bundle-error.ts';
import { modelCard } from './model-card.ts';
import { validateManifest } from './manifest-schema.ts';

/** A format 2 manifest for a format 1 one. */
export function upgradeManifest(v1: BundleManifest): BundleManifest {
  const webgpu = v1.backend?.name === 'webgpu';
  const isSearch = v1.search !== undefined;
  return {
    ...v1,
    formatVersion: BUNDLE_FORMAT_VERSION,
    app: { ...v1.app, commit: v1.app.commit ?? 'unknown' },
    model: { ...v1.model, iterations: v1.model.iterations ?? null },
    training: v1.training ?? {
      command: isSearch ? 'automl' : 'fit',
      // Format 1 did not record excluded columns; an exclusion shows as a pipeline note.
      exclude: [],
      ...(isSearch ? {} : { validFraction: (v1.split as { validFraction?: number }).validFraction ?? 0.2 }),
    },
    reproducibility: v1.reproducibility ?? {
      tolerance: webgpu ? WEBGPU_TOLERANCE : 0,
      deterministic: !webgpu,
      note: 'upgraded from bundle format 1, which did not record excluded columns: a refit assumes none were excluded',
    },
  };
}

/** The files to put in an export zip, from a bundle folder's files. */
export function exportBundleFiles(
  files: Readonly<Record<string, string | undefined>>,
  options: { readonly scorer?: string } = {},
): Record<string, string> {
  let manifest = checkManifest(files['manifest.json']);
  if (manifest.formatVersion === 1) manifest = upgradeManifest(manifest);
  const out: Record<string, string> = {};
  for (const name of BUNDLE_FILES) {
    const text = files[name];
    if (text !== undefined && name !== 'manifest.json') out[name] = text;
  }
  if (manifest.pipeline.file === null) delete out['pipeline.json'];
  out['metrics.json'] ??= JSON.stringify({ metrics: manifest.metrics }, null, 2) + '\n';
  out['signature.json'] ??= JSON.stringify(signatureOf(manifest), null, 2) + '\n';
  if (options.scorer !== undefined) out['predict.mjs'] = options.scorer;
  const order = (f: string) => BUNDLE_FILES.indexOf(f as (typeof BUNDLE_FILES)[number]);
  const listed = [...Object.keys(out), 'MODEL_CARD.md'].filter((f, i, a) => a.indexOf(f) === i);
  listed.sort((a, b) => order(a) - order(b));
  manifest = { ...manifest, files: listed };
  out['MODEL_CARD.md'] ??= modelCard(manifest);
  const problems = validateManifest(manifest);
  if (problems.length) throw new BundleError(`cannot export: manifest.json: ${problems[0]}`);
  const all: Record<string, string> = { 'manifest.json': JSON.stringify(manifest, null, 2) + '\n', ...out };
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => order(a) - order(b)));
}
