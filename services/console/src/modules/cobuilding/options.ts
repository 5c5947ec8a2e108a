// The co-building enums the forms and filters offer.
export const unitTypes = [
  'UNIT_TYPE_GOVERNMENT_OFFICE', 'UNIT_TYPE_STATE_ENTERPRISE', 'UNIT_TYPE_PRIVATE_ENTERPRISE',
  'UNIT_TYPE_INSTITUTION', 'UNIT_TYPE_NEW_ECONOMIC_ORGANISATION', 'UNIT_TYPE_SOCIAL_ORGANISATION',
] as const;
export const areas = [
  'AREA_ORGANISATION_BUILDING', 'AREA_CIVILITY', 'AREA_COMMUNITY_SERVICE', 'AREA_PUBLIC_SECURITY', 'AREA_SHARED_RESOURCES', 'AREA_ENVIRONMENT',
] as const;
export const ledgerStatuses = ['LEDGER_ITEM_STATUS_OPEN', 'LEDGER_ITEM_STATUS_REPORTED', 'LEDGER_ITEM_STATUS_SENT_BACK', 'LEDGER_ITEM_STATUS_CLOSED'] as const;
export const meetingKinds = ['MEETING_KIND_COMMUNITY', 'MEETING_KIND_COUNTY'] as const;

/** newRequestId is a client-chosen id that makes a create safe to retry. */
export function newRequestId(): string {
  return crypto.randomUUID();
}
