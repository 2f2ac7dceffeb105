import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Built into the Python package, served by the API at /console/ (same origin as /graphql).
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: {
    outDir: '../neighbor_api/console/static',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { '/graphql': { target: 'http://127.0.0.1:8000', ws: true } } },
})
