/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'url';

// The build goes straight into the gateway's tree, where go:embed takes it:
// the gateway binary carries the console, and `make verify` rebuilds it and
// fails when the committed files differ.
export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('../gateway/internal/consoleui/dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        // The framework and the component library change together and
        // rarely: one long-cached chunk; ECharts only where a chart is.
        advancedChunks: {
          groups: [
            { name: 'vendor-vue', test: /node_modules[\\/](vue|@vue|vue-router|vue-i18n|@intlify)[\\/]/ },
            { name: 'vendor-echarts', test: /node_modules[\\/](echarts|zrender)[\\/]/ },
            { name: 'vendor-element', test: /node_modules[\\/](element-plus|@element-plus|@vueuse|@floating-ui|@popperjs|lodash|dayjs|async-validator|memoize-one|normalize-wheel-es|@ctrl)[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    // `npm run dev` against a gateway of `make run`: same origin for the
    // browser, so the session cookie works as in production.
    proxy: { '/v1': 'http://127.0.0.1:8080', '/auth': 'http://127.0.0.1:8080' },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
