import type { App } from 'vue';
import { vLoading } from 'element-plus';

// install registers on the application what the pages' templates use
// without importing it: Element Plus' loading directive (v-loading, the
// mask over a table while its rows load). Components are imported where
// they are used; a directive written in a template only resolves when the
// application knows it, and otherwise is silently dropped in production.
export function install(app: App): App {
  return app.directive('loading', vLoading);
}
