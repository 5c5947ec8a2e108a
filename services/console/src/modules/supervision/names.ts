// The names the supervision pages give the shipped rules, in the caller's
// language: a rule the city added later is shown by its code.
import { i18n } from '../../i18n';

export function ruleName(code: string | undefined): string {
  const g = i18n.global;
  if (!code) return g.t('sup.dash.byHand');
  return g.te('rules.' + code) ? g.t('rules.' + code) : code;
}
