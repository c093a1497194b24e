import { fileURLToPath } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { precompress } from './build/precompress.ts';

const src = fileURLToPath(new URL('./src', import.meta.url));
// `npm run dev:web` proxies the API to a running m3m (`npm start`), by default on port 3000.
const server = process.env.M3M_DEV_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), tailwindcss(), precompress()],
  resolve: {
    alias: {
      '@': src,
      // Monaco's ESM files by path, for the worker pages' slim entry (features/workers/editor/monaco-slim.ts):
      // the package's exports map would add `.js` to its CSS files.
      'monaco-esm': fileURLToPath(new URL('../node_modules/monaco-editor/esm/vs', import.meta.url)),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The size script (scripts/webSize.ts) reads the manifest to find what the first page loads.
    manifest: true,
    // Hashed names under assets/ are what the server caches for a year.
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: {
    proxy: { '/api': server, '/health': server, '/run': server },
  },
});
