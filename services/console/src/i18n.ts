import { createI18n } from 'vue-i18n';
import zh from './locales/zh-CN';
import en from './locales/en';

// The language is a preference of the device, kept in local storage (the
// only thing the console keeps there: never a token).
const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('gongjian.lang') : null;

export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zh, en },
});

export function setLanguage(lang: 'zh-CN' | 'en') {
  i18n.global.locale.value = lang;
  localStorage.setItem('gongjian.lang', lang);
  document.documentElement.lang = lang;
}
