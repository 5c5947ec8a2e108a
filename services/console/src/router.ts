import { createRouter, createWebHistory } from 'vue-router';
import { modules } from './modules';
import { loadSession, session } from './session';

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/sign-in', name: 'sign-in', component: () => import('./pages/SignIn.vue'), meta: { public: true } },
    {
      path: '/',
      component: () => import('./pages/Layout.vue'),
      children: [{ path: '', name: 'home', component: () => import('./pages/Home.vue') }, ...modules.flatMap((m) => m.routes)],
    },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

router.beforeEach(async (to) => {
  if (!session.loaded) {
    try {
      await loadSession();
    } catch {
      // The gateway unreachable: the sign-in page says so.
    }
  }
  if (!to.meta.public && !session.info) {
    return { name: 'sign-in', query: to.fullPath === '/' ? {} : { return: to.fullPath } };
  }
  return true;
});
