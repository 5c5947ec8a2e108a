import { createApp } from 'vue';
import 'element-plus/dist/index.css';
import './style.css';
import App from './App.vue';
import { i18n } from './i18n';
import { router } from './router';
import { whenUnauthenticated } from './api/client';
import { expire } from './session';
import { install } from './setup';

whenUnauthenticated(() => {
  expire();
  void router.push({ name: 'sign-in', query: { return: router.currentRoute.value.fullPath } });
});

install(createApp(App)).use(i18n).use(router).mount('#app');
