/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { gitCommit, scorerPlugin } from './src/cli/scorer-build.ts';

/**
 * Build warnings switched off because none of them asks for a change (every other check stays on):
 * - ineffectiveDynamicImport: `import('…/nn/backend.ts')` (search runner) and `import('@tensorflow/tfjs')`
 *   (trial worker) are dynamic so that the Node CLI loads TensorFlow.js only when a net is trained; in
 *   the browser bundles the same modules are also imported statically, so rolldown notes that the split
 *   does nothing there. That is expected and harmless.
 * - bundlerTimings: a profile of which plugin took how long (the worker bundles and the PWA precache
 *   dominate); information for whoever tunes the build, not a problem with it.
 */
const BUILD_CHECKS = { ineffectiveDynamicImport: false, bundlerTimings: false } as const;

/** The app's Content Security Policy: index.html declares the same in a <meta> (a test keeps them equal). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/**
 * Cross-origin isolation (issue 21): with these two headers the page and its workers are
 * `crossOriginIsolated`, so the data worker can share the parsed columns with the training worker as
 * `SharedArrayBuffer`s instead of copying them. Every resource of the studio is same-origin (scripts,
 * workers, wasm, fonts, samples), so `require-corp` blocks nothing. The service worker's precache
 * keeps the headers of the responses it stored, so an offline reload stays isolated
 * (test/e2e/isolation.e2e.ts).
 */
export const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

/**
 * V8's explicit compile hint (`//# allFunctionsCalledOnLoad`, Chrome ≥ 136) on the ECharts chunks: the
 * whole library is compiled eagerly while the chunk streams in, on a background thread, instead of
 * function by function on the main thread the first time a chart is drawn. Without it the first
 * chart's first draw on a screen (the Explain tab's) was one main-thread task of ~50 ms CPU, most of it
 * compiling ECharts; with it ~20 ms (bench/explain/render.ts). Browsers without the hint read a comment.
 */
function echartsCompileHints(): Plugin {
  return {
    name: 'automl-echarts-compile-hints',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle))
        if (file.type === 'chunk' && /^echarts(-tracking)?$/.test(file.name))
          file.code = `//# allFunctionsCalledOnLoad\n${file.code}`;
    },
  };
}

export default defineConfig({
  base: './',
  // The commit the app was built from, recorded in the manifests of bundles made in the browser.
  define: { __APP_COMMIT__: JSON.stringify(gitCommit()) },
  plugins: [
    svelte(),
    echartsCompileHints(),
    // predict.mjs for bundles made in the browser (workers/scorer-source.ts): the CLI's esbuild build.
    scorerPlugin(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script',
      includeAssets: ['samples/**/*', 'favicon.svg'],
      manifest: {
        name: 'AutoML Studio',
        short_name: 'AutoML',
        description: 'Local-first AutoML in your browser. Your data never leaves this machine.',
        theme_color: '#1f4e79',
        background_color: '#ffffff',
        display: 'standalone',
        start_url: '.',
        icons: [{ src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml' }],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,wasm,json,csv,md,txt,webmanifest}'],
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        ignoreURLParametersMatching: [/.*/],
        navigateFallback: 'index.html',
        // Take control of the page on the first visit, so it works offline without a second load.
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
  worker: { format: 'es', plugins: () => [scorerPlugin()], rolldownOptions: { checks: BUILD_CHECKS } },
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
    rolldownOptions: { checks: BUILD_CHECKS },
  },
  // The same Content Security Policy as index.html's <meta>, also as a header: a dedicated worker's
  // script gets its policy from its own response, not from the page.
  preview: {
    host: '127.0.0.1',
    port: 4173,
    strictPort: false,
    headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, ...CROSS_ORIGIN_ISOLATION },
  },
  // The dev server: isolated too (its CSP would block Vite's injected client, so only the isolation).
  server: { host: '127.0.0.1', headers: { ...CROSS_ORIGIN_ISOLATION } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'node_modules/**'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.e2e.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          // The browser and its worker are slower than Node: give expect.poll time on a busy machine.
          expect: { poll: { timeout: 15_000 } },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
