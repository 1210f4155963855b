/**
 * predict.mjs for bundles made in the browser: the same esbuild build of
 * src/core/export/scorer-entry.ts as the CLI's (`scorerPlugin` in src/cli/scorer-build.ts, run by
 * Vite at build time). Imported lazily, so the ~100 KB of scorer text is a separate chunk that a
 * worker fetches only when it makes a bundle:
 *
 *   const files = createBundleFiles(trained, dataset, env, { scorer: await scorerSource() });
 */
let cached: Promise<string> | undefined;

export function scorerSource(): Promise<string> {
  cached ??= import('virtual:predict-mjs').then((m) => m.default);
  return cached;
}
