import 'i18next';
import type en from './en.json';

// Keys are checked at compile time: `t('users.title')` must exist in en.json (ru.json is held to the same
// keys by test/web/i18n.test.ts).
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof en };
    returnNull: false;
  }
}
