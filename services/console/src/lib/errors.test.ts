import { describe, expect, it } from 'vitest';
import { fieldName, formErrors } from './errors';

describe('formErrors', () => {
  it('puts each violation beside the field its proto path names', () => {
    const e = formErrors(400, {
      code: 3,
      message: 'the member is not valid',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [
            { field: 'member.national_id', description: 'the check character is wrong' },
            { field: 'member.birth_date', description: 'does not match the ID number' },
            { field: 'member.national_id', description: 'already registered' },
          ],
        },
      ],
    });
    expect(e.message).toBe('the member is not valid');
    expect(e.fields).toEqual({
      nationalId: 'the check character is wrong；already registered',
      birthDate: 'does not match the ID number',
    });
  });

  it('keeps the message when there are no field details', () => {
    expect(formErrors(409, { message: 'an open transfer exists' })).toEqual({
      message: 'an open transfer exists',
      fields: {},
      httpStatus: 409,
    });
  });
});

describe('fieldName', () => {
  it('turns snake paths into the JSON name of the last segment', () => {
    expect(fieldName('residence.community_id')).toBe('communityId');
    expect(fieldName('skills[2]')).toBe('skills');
    expect(fieldName('name')).toBe('name');
  });
});

describe('a refusal with its reason', () => {
  it('keeps the reason beside the field messages', () => {
    const e = formErrors(409, {
      message: 'the venue is booked at an overlapping time',
      details: [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'VENUE_TAKEN' },
        { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'booking.start_time', description: 'overlapping' }] },
      ],
    });
    expect(e.reason).toBe('VENUE_TAKEN');
    expect(e.fields.startTime).toBe('overlapping');
  });
});
