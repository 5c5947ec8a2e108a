// A module is one domain area of the console (organisations, members,
// transfers, statistics; co-building and supervision when their services
// land): its routes, its menu entries and what it adds to the home page's
// work list. Adding an area is adding a module to modules/index.ts.
import type { RouteRecordRaw } from 'vue-router';
import type { SessionInfo } from '../session';

export interface MenuEntry {
  path: string;
  /** i18n key of the entry's title */
  title: string;
}

export interface WorkItem {
  /** i18n key under home.kinds */
  kind: string;
  title: string;
  detail?: string;
  /** console route the item opens */
  to: string;
  /** when it falls due, if it does */
  due?: string;
}

export interface ConsoleModule {
  name: string;
  menu: MenuEntry[];
  routes: RouteRecordRaw[];
  /** roles the module is for; all when absent */
  roles?: string[];
  workItems?: (who: SessionInfo) => Promise<WorkItem[]>;
}
