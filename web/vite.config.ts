import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

// The server serves dist/ (SPA fallback to index.html); `npm run dev --workspace web` proxies
// the API to a server on PLEXUS_URL so the UI can be worked on with hot reload.
export default defineConfig({
  plugins: [solid()],
  server: {
    proxy: {
      '/api': process.env.PLEXUS_URL ?? 'http://127.0.0.1:4000',
      '/graphql': process.env.PLEXUS_URL ?? 'http://127.0.0.1:4000',
    },
  },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // Cytoscape and its layout are the bulk of the bundle and change rarely: a chunk of their own caches well.
        manualChunks: (id) =>
          id.includes('node_modules/cytoscape') ||
          id.includes('node_modules/cose-base') ||
          id.includes('node_modules/layout-base')
            ? 'graph'
            : undefined,
      },
    },
  },
});
