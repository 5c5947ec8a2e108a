// The dues enums the forms offer, and the kinds of organisation the
// dues pages pick from.
export const paymentMethods = ['DUES_PAYMENT_METHOD_CASH', 'DUES_PAYMENT_METHOD_BANK_TRANSFER', 'DUES_PAYMENT_METHOD_ON_BEHALF'] as const;

/** The employment statuses the dues bands know. */
export const duesEmployments = [
  'EMPLOYMENT_STATUS_EMPLOYED', 'EMPLOYMENT_STATUS_SELF_EMPLOYED', 'EMPLOYMENT_STATUS_RETIRED',
  'EMPLOYMENT_STATUS_LAID_OFF', 'EMPLOYMENT_STATUS_UNEMPLOYED', 'EMPLOYMENT_STATUS_STUDENT',
] as const;

/** The kinds of organisation a membership may sit in: those that bill. */
export const billingKinds = [
  'ORGANISATION_KIND_COMMUNITY', 'ORGANISATION_KIND_GENERAL_BRANCH', 'ORGANISATION_KIND_BRANCH',
  'ORGANISATION_KIND_BUILDING_BRANCH', 'ORGANISATION_KIND_TEMPORARY_BRANCH', 'ORGANISATION_KIND_RESIDENT_UNIT',
];

/** The kinds a subtree's lists (arrears, lost contact) may start from. */
export const subtreeKinds = ['ORGANISATION_KIND_DISTRICT', 'ORGANISATION_KIND_STREET', ...billingKinds];
