/** predict.mjs as text, built at build time by `scorerPlugin` (src/cli/scorer-build.ts, vite.config.ts). */
declare module 'virtual:predict-mjs' {
  const source: string;
  export default source;
}
