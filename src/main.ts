import { mount } from 'svelte';
import App from './ui/App.svelte';
import './ui/app.css';

const target = document.getElementById('app');
if (!target) throw new Error('#app element missing from index.html');

// Samples live beside index.html; resolve them against the page so the app works under any base path.
const baseUrl = new URL('.', document.baseURI).href;

mount(App, { target, props: { baseUrl } });
