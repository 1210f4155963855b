import { mount } from 'svelte';
import App from './ui/App.svelte';
import './ui/app.css';

const target = document.getElementById('app');
if (!target) throw new Error('#app element missing from index.html');

// Samples live beside index.html; resolve them against the page so the app works under any base path.
const baseUrl = new URL('.', document.baseURI).href;

// Mounted in a task of its own, after the one that evaluates this module (issue 21: no main-thread
// task over 100 ms). Mounted synchronously, the page's load event followed in the same task and forced
// the first layout there (the browser's first text layout, font set-up included: 30–160 ms here), one
// task of evaluation + mount + layout; now the layout comes in the next frame's own task.
setTimeout(() => mount(App, { target, props: { baseUrl } }), 0);
