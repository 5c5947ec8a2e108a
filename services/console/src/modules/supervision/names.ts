// The names the supervision pages give the rules, in the caller's
// language. The supervision service names its rules in Chinese (each
// rule's name, which is also the title of the items a rule opens); the
// English locale names the shipped rules by code. A rule without an
// English name, or one the city added, is shown by its own name.
import { reactive } from 'vue';
import { i18n } from '../../i18n';
import { api } from '../../api/client';

const names = reactive(new Map<string, string>());
let loading: Promise<void> | undefined;

/** loadRuleNames reads the rules' own names once per page load. */
export function loadRuleNames(): Promise<void> {
  loading ??= api
    .ruleServiceListRules({})
    .then((r) => {
      for (const x of r.data.rules ?? []) if (x.code && x.name) names.set(x.code, x.name);
    })
    .catch(() => {
      loading = undefined;
    });
  return loading;
}

export function ruleName(code: string | undefined): string {
  const g = i18n.global;
  if (!code) return g.t('sup.dash.byHand');
  if (g.locale.value === 'en' && g.te('rules.' + code)) return g.t('rules.' + code);
  if (!names.has(code)) void loadRuleNames();
  return names.get(code) ?? code;
}

/** itemTitle is an item's title in the caller's language: a rule's item by the rule's name in English. */
export function itemTitle(item: { title?: string; ruleCode?: string }): string {
  const g = i18n.global;
  if (item.ruleCode && g.locale.value === 'en' && g.te('rules.' + item.ruleCode)) return g.t('rules.' + item.ruleCode);
  return item.title ?? '';
}
