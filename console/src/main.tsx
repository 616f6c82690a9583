/** The operator console: bundled by esbuild into /console/app.js, no CDN, no web fonts. */
import { render } from 'preact';
import { App } from './app.tsx';

const root = document.getElementById('app');
if (root) render(<App />, root);
