import { createApp, defineComponent } from 'vue';
import { describe, expect, it } from 'vitest';
import { install } from './setup';

describe('install', () => {
  it('registers the loading directive the tables use', () => {
    const app = createApp(defineComponent({ render: () => null }));
    expect(app.directive('loading')).toBeUndefined();
    install(app);
    expect(app.directive('loading')).toBeDefined();
  });
});
