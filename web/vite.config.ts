import { defineConfig } from 'vite';

// No @vitejs/plugin-react (it does not install with this image's npm): esbuild compiles the
// TSX with React's automatic JSX runtime, which is all the app needs.
export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1000 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
