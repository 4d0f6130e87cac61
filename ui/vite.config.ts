import { defineConfig } from 'vite';

// Relative asset paths: the Tauri shell embeds dist/, and `airlock serve` serves it
// from disk, so the bundle must not assume where it is mounted.
export default defineConfig({
  base: './',
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `airlock serve` owns the API; during `vite dev` point the browser at it directly.
    strictPort: true,
    port: 1420,
  },
});
