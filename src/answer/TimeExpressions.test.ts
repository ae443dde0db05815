import assert from 'node:assert/strict';
import type { RosNanos } from '../time.js';
import { TimeExpressions } from './TimeExpressions.js';

const ns = (iso: string): RosNanos => BigInt(Date.parse(iso)) * 1_000_000n;
const iso = (t: RosNanos | undefined) => (t === undefined ? undefined : new Date(Number(t / 1_000_000n)).toISOString());
// Saturday 21 November 2026, 14:00 UTC.
const NOW = ns('2026-11-21T14:00:00Z');

function window(te: TimeExpressions, question: string, now = NOW) {
  const r = te.resolve(question, now);
  return { since: iso(r.bounds.since), until: iso(r.bounds.until), rest: r.rest, event: r.event };
}

describe('TimeExpressions', () => {
  const utc = new TimeExpressions();

  it('reads day parts and days as local spans ending no later than now', () => {
    assert.deepEqual(window(utc, 'What did I do this morning?'), {
      since: '2026-11-21T06:00:00.000Z',
      until: '2026-11-21T12:00:00.000Z',
      rest: 'What did I do ?',
      event: null,
    });
    assert.equal(window(utc, 'who came this afternoon').since, '2026-11-21T12:00:00.000Z');
    assert.equal(window(utc, 'who came this afternoon').until, undefined, 'the afternoon is not over: asOf bounds it');
    assert.deepEqual(window(utc, 'what was said last night'), {
      since: '2026-11-20T18:00:00.000Z',
      until: '2026-11-21T06:00:00.000Z',
      rest: 'what was said',
      event: null,
    });
    assert.deepEqual(window(utc, 'what did the visitor say yesterday?'), {
      since: '2026-11-20T00:00:00.000Z',
      until: '2026-11-21T00:00:00.000Z',
      rest: 'what did the visitor say ?',
      event: null,
    });
    assert.equal(window(utc, 'anything today').since, '2026-11-21T00:00:00.000Z');
    assert.equal(window(utc, 'tonight').since, '2026-11-21T18:00:00.000Z');
    assert.deepEqual(window(utc, 'what did I eat yesterday in the afternoon'), {
      since: '2026-11-20T12:00:00.000Z',
      until: '2026-11-20T18:00:00.000Z',
      rest: 'what did I eat',
      event: null,
    });
    // Monday before this Saturday, not the coming one.
    assert.deepEqual(window(utc, 'what happened on Monday morning'), {
      since: '2026-11-16T06:00:00.000Z',
      until: '2026-11-16T12:00:00.000Z',
      rest: 'what happened',
      event: null,
    });
  });

  it('reads durations back from now', () => {
    assert.deepEqual(window(utc, 'what happened in the last hour?'), {
      since: '2026-11-21T13:00:00.000Z',
      until: undefined,
      rest: 'what happened ?',
      event: null,
    });
    assert.equal(window(utc, 'in the last 10 minutes').since, '2026-11-21T13:50:00.000Z');
    assert.equal(window(utc, 'over the past half hour').since, '2026-11-21T13:30:00.000Z');
    // A point phrase on its own covers the span around it; after "since" it is the exact instant.
    assert.deepEqual(window(utc, 'where was the cup an hour ago'), {
      since: '2026-11-21T12:30:00.000Z',
      until: '2026-11-21T13:30:00.000Z',
      rest: 'where was the cup',
      event: null,
    });
    assert.equal(window(utc, 'since 10 minutes ago').since, '2026-11-21T13:50:00.000Z');
  });

  it('reads clock times on the most recent such day', () => {
    // Asked at 14:00, "since 3 pm" can only mean yesterday's.
    assert.equal(window(utc, 'since 3 pm').since, '2026-11-20T15:00:00.000Z');
    assert.deepEqual(window(utc, 'what happened between 9 and 11 am?'), {
      since: '2026-11-21T09:00:00.000Z',
      until: '2026-11-21T11:00:00.000Z',
      rest: 'what happened ?',
      event: null,
    });
    // "between 2 and 4 pm": 2 takes the pm of 4; asked at 13:00 the most recent 2–4 pm is yesterday's.
    assert.deepEqual(window(utc, 'between 2 and 4 pm', ns('2026-11-21T13:00:00Z')), {
      since: '2026-11-20T14:00:00.000Z',
      until: '2026-11-20T16:00:00.000Z',
      rest: '',
      event: null,
    });
    assert.deepEqual(window(utc, 'what did Bob say yesterday at 3 pm'), {
      since: '2026-11-20T14:30:00.000Z',
      until: '2026-11-20T15:30:00.000Z',
      rest: 'what did Bob say',
      event: null,
    });
    assert.equal(window(utc, 'before noon, what was in the kitchen').until, '2026-11-21T12:00:00.000Z');
  });

  it('leaves numbers that are not times, and "now", alone', () => {
    assert.deepEqual(window(utc, 'were there between 2 and 4 people?'), {
      since: undefined,
      until: undefined,
      rest: 'were there between 2 and 4 people?',
      event: null,
    });
    assert.deepEqual(window(utc, 'where are my keys now?'), {
      since: undefined,
      until: undefined,
      rest: 'where are my keys now?',
      event: null,
    });
    assert.deepEqual(window(utc, 'May I know how many cups were on the table?').since, undefined);
  });

  it('returns "before/after <event>" for the caller to find in memory, and removes it from the text', () => {
    assert.deepEqual(window(utc, 'What was on the table before the visitor arrived?'), {
      since: undefined,
      until: undefined,
      rest: 'What was on the table ?',
      event: { relation: 'before', phrase: 'the visitor arrived' },
    });
    assert.deepEqual(window(utc, 'After lunch, who came in?').event, { relation: 'after', phrase: 'lunch' });
    // A clock time after the relation word is a time, not an event.
    assert.deepEqual(window(utc, 'what did the second visitor say after 5pm').event, null);
  });

  it('reads local phrases in the configured time zone', () => {
    const berlin = new TimeExpressions({ timeZone: 'Europe/Berlin' });
    // 14:00 UTC is 15:00 in Berlin (CET, +01:00): this morning is 06:00–12:00 local = 05:00–11:00 UTC.
    assert.deepEqual(window(berlin, 'this morning'), {
      since: '2026-11-21T05:00:00.000Z',
      until: '2026-11-21T11:00:00.000Z',
      rest: '',
      event: null,
    });
    assert.equal(window(berlin, 'since 3 pm').since, '2026-11-21T14:00:00.000Z');
    const ny = new TimeExpressions({ timeZone: 'America/New_York' });
    // 02:00 UTC on the 21st is still the evening of the 20th in New York (EST, -05:00).
    assert.equal(window(ny, 'yesterday', ns('2026-11-21T02:00:00Z')).since, '2026-11-19T05:00:00.000Z');
    assert.throws(() => new TimeExpressions({ timeZone: 'Mars/Olympus' }), /not an IANA time zone name/);
  });

  it('turns request bounds into instants', () => {
    assert.equal(iso(utc.bound('1 hour ago', 'since', NOW)), '2026-11-21T13:00:00.000Z');
    assert.equal(iso(utc.bound('yesterday', 'since', NOW)), '2026-11-20T00:00:00.000Z');
    assert.equal(iso(utc.bound('yesterday', 'until', NOW)), '2026-11-21T00:00:00.000Z');
    assert.equal(iso(utc.bound('2026-11-21T08:00:00Z', 'since', NOW)), '2026-11-21T08:00:00.000Z');
    assert.equal(
      iso(new TimeExpressions({ timeZone: 'Europe/Berlin' }).bound('2026-11-21 08:00', 'since', NOW)),
      '2026-11-21T07:00:00.000Z',
    );
    assert.throws(() => utc.bound('when the cat sat', 'since', NOW), /time "when the cat sat" is not understood/);
  });
});
