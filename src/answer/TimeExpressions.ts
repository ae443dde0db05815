import * as chrono from 'chrono-node';
import type { RosNanos } from '../time.js';
import { checkTimeZone, fromWallClock, startOfDay, wallClock, zoneOffset } from './LocalTime.js';
import { QuestionError } from './QuestionError.js';

/** Bounds on a memory's span: it must overlap [since, until). Either side may be open. */
export interface TimeBounds {
  since?: RosNanos;
  until?: RosNanos;
}

/** "before the visitor arrived": a bound that holds once memory has said when the event happened. */
export interface EventReference {
  relation: 'before' | 'after';
  /** The event as written, e.g. "the visitor arrived". */
  phrase: string;
}

export interface ResolvedTime {
  bounds: TimeBounds;
  event: EventReference | null;
  /** The time phrases found, as written. */
  phrases: string[];
  /** The text with every time phrase removed, so those words do not become search terms. */
  rest: string;
}

/** How a phrase bounds the span: "since 3 pm", "after lunch", "before Monday", "until noon". */
type Relation = 'since' | 'after' | 'before' | 'until';

interface Found {
  index: number;
  length: number;
  /** The span the phrase names on its own, epoch ms [start, end). */
  start: number;
  end: number;
  /** A single instant ("3 pm", "an hour ago"): used instead of the span when a relation word precedes it. */
  point?: number;
  /** Range phrases ("in the last hour", "between 2 and 4 pm") take no relation word. */
  takesRelation: boolean;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UNIT_MS: Record<string, number> = { s: SECOND, m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  forty: 40,
  'forty-five': 45,
  fifty: 50,
  sixty: 60,
  ninety: 90,
  few: 3,
  'a few': 3,
  couple: 2,
  'couple of': 2,
  'a couple of': 2,
  several: 3,
  half: 0.5,
  'half a': 0.5,
  'half an': 0.5,
};
const NUM =
  '(half an?|a few|a couple of|couple of|several|few|\\d+(?:\\.\\d+)?|forty-five|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|an?|half)';
const UNIT = '(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)';
const CLOCK = "(?:\\d{1,2}(?::\\d{2})?(?:\\s*(?:am|pm|a\\.m\\.|p\\.m\\.|o'clock))?|noon|midnight)";
const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
/** Local hours of the parts of a day; night runs into the next morning. */
const DAY_PARTS: Record<string, [number, number]> = { morning: [6, 12], afternoon: [12, 18], evening: [18, 24], night: [18, 30] };
const DAY_PART_WORD = /^\s*(?:(?:in|during)\s+the\s+)?(morning|afternoon|evening|night)\s*$/i;
const RELATION_BEFORE = /\b(since|after|from|before|until|till|by|up to)\s+$/i;
const RELATION_WORDS: Record<string, Relation> = {
  since: 'since',
  from: 'since',
  after: 'after',
  before: 'before',
  until: 'until',
  till: 'until',
  by: 'until',
  'up to': 'until',
};

/**
 * Reads natural time expressions in a question or request against ROS time: "this morning", "in the last 10
 * minutes", "yesterday", "an hour ago", "since 3 pm", "between 2 and 4 pm", dates chrono-node understands, and
 * "before/after <event>" (returned as an `EventReference` for the caller to look up in memory).
 *
 * "now" is the question's ROS stamp; local phrases ("3 pm", "yesterday") are read in `timeZone`. Questions are
 * about the past, so a phrase that would land in the future ("since 5 pm" asked at 2 pm, "on Monday" asked on
 * Saturday) means the most recent such time. A point phrase on its own ("at 3 pm", "an hour ago") covers the
 * span around it (±30 min, or ± half the distance for "N units ago"); after since/before/after/until it is
 * the exact instant. Several phrases intersect.
 */
export class TimeExpressions {
  readonly timeZone: string;

  constructor({ timeZone = 'UTC' }: { timeZone?: string } = {}) {
    checkTimeZone(timeZone);
    this.timeZone = timeZone;
  }

  resolve(text: string, now: RosNanos): ResolvedTime {
    const nowMs = Number(now / 1_000_000n);
    const { found, work } = this.#scan(text, nowMs);
    let since = -Infinity;
    let until = Infinity;
    for (const f of found) {
      const relation = relationBefore(text, f);
      const phraseStart = relation ? f.index - relation.length : f.index;
      f.length += f.index - phraseStart;
      f.index = phraseStart;
      switch (relation?.relation) {
        case 'since':
          since = Math.max(since, f.point ?? f.start);
          break;
        case 'after':
          since = Math.max(since, f.point ?? f.end);
          break;
        case 'before':
          until = Math.min(until, f.point ?? f.start);
          break;
        case 'until':
          until = Math.min(until, f.point ?? f.end);
          break;
        default:
          since = Math.max(since, f.start);
          until = Math.min(until, f.end);
      }
    }
    let masked = work;
    for (const f of found) masked = mask(masked, f.index, f.length);
    const event = findEvent(masked);
    if (event) masked = mask(masked, event.index, event.length);

    const bounds: TimeBounds = {};
    if (since > -Infinity) bounds.since = BigInt(Math.round(since)) * 1_000_000n;
    // An upper bound at or after the question adds nothing: asOf already cuts there.
    if (until < nowMs) bounds.until = BigInt(Math.round(until)) * 1_000_000n;
    const phrases = [...found.map((f) => text.slice(f.index, f.index + f.length).trim()), ...(event ? [event.text] : [])];
    return {
      bounds,
      event: event ? { relation: event.relation, phrase: event.phrase } : null,
      phrases,
      rest: masked.replace(/\s+/g, ' ').trim(),
    };
  }

  /**
   * One side of a request's time range ("--since '1 hour ago'", "--until yesterday"): an ISO-8601 stamp or a
   * time expression. A span gives its start for `since` and its end for `until`; a point gives itself.
   */
  bound(expression: string, side: 'since' | 'until', now: RosNanos): RosNanos {
    const trimmed = expression.trim();
    if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
      const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(trimmed) && trimmed.length > 10;
      const parsed = Date.parse(hasZone ? trimmed : `${trimmed.replace(' ', 'T')}${trimmed.length === 10 ? 'T00:00' : ''}Z`);
      if (Number.isNaN(parsed)) throw new QuestionError(`time "${expression}" is not a valid date`);
      const ms = hasZone ? parsed : parsed - zoneOffset(parsed, this.timeZone);
      return BigInt(ms) * 1_000_000n;
    }
    const resolved = this.resolve(`${side} ${trimmed}`, now);
    const value = side === 'since' ? resolved.bounds.since : (resolved.bounds.until ?? (resolved.phrases.length > 0 ? now : undefined));
    if (value === undefined || resolved.event || resolved.rest.replace(/^(since|until)\b/i, '').trim() !== '') {
      throw new QuestionError(`time "${expression}" is not understood (try an ISO stamp, "1 hour ago", "yesterday", "3 pm")`);
    }
    return value;
  }

  #scan(text: string, now: number): { found: Found[]; work: string } {
    const tz = this.timeZone;
    const found: Found[] = [];
    let work = text;
    const take = (re: RegExp, make: (m: RegExpMatchArray) => Omit<Found, 'index' | 'length'> | null) => {
      for (const m of work.matchAll(re)) {
        const f = make(m);
        if (f) found.push({ ...f, index: m.index, length: m[0].length });
      }
      for (const f of found) work = mask(work, f.index, f.length);
    };
    const today = startOfDay(now, tz);

    take(
      new RegExp(`\\b(?:(?:in|during|over|within|for)\\s+)?(?:the\\s+)?(?:last|past|previous)\\s+(?:${NUM}\\s+)?${UNIT}\\b`, 'gi'),
      (m) => {
        const span = count(m[1] ?? '1') * unitMs(m[2]!);
        return { start: now - span, end: now, takesRelation: false };
      },
    );
    take(new RegExp(`\\b${NUM}\\s+${UNIT}\\s+ago\\b`, 'gi'), (m) => {
      const span = count(m[1]!) * unitMs(m[2]!);
      const t = now - span;
      return { start: t - span / 2, end: t + span / 2, point: t, takesRelation: true };
    });
    take(/\b(?:(this|yesterday|last)\s+(morning|afternoon|evening|night)|(tonight))\b/gi, (m) => {
      const day = m[1] && m[1].toLowerCase() !== 'this' ? startOfDay(now, tz, -1) : today;
      return { ...dayPart(day, (m[2] ?? 'night').toLowerCase(), tz), takesRelation: true };
    });

    // The day that clock times and "in the morning" refer to; today unless the question names another.
    let anchor: number | null = null;
    take(
      /\b(the day before yesterday|yesterday|(?:earlier\s+)?today|(?:(?:last|this|on)\s+)?(sunday|monday|tuesday|wednesday|thursday|friday|saturday)s?)\b/gi,
      (m) => {
        const word = m[1]!.toLowerCase();
        let day: number;
        if (word === 'the day before yesterday') day = startOfDay(now, tz, -2);
        else if (word === 'yesterday') day = startOfDay(now, tz, -1);
        else if (word.endsWith('today')) day = today;
        else {
          const back = (wallClock(now, tz).weekday - WEEKDAY_NAMES.indexOf(m[2]!.toLowerCase()) + 7) % 7;
          day = startOfDay(now, tz, -(back === 0 && word.startsWith('last') ? 7 : back));
        }
        anchor ??= day;
        return { start: day, end: startOfDay(day, tz, 1), takesRelation: true };
      },
    );
    const chronoReference = { instant: new Date(now), timezone: zoneOffset(now, tz) / MINUTE };
    for (const r of pastDates(work, chronoReference)) {
      if (r.start.isCertain('hour') || r.end || DAY_PART_WORD.test(r.text)) continue;
      const day = pastDay(r.start, now, tz);
      anchor ??= day;
      found.push({ index: r.index, length: r.text.length, start: day, end: startOfDay(day, tz, 1), takesRelation: true });
      work = mask(work, r.index, r.text.length);
    }
    const explicitDay = anchor !== null;
    const onDay = anchor ?? today;

    take(/\b(?:(?:in|during)\s+the\s+)?(morning|afternoon|evening|night)\b/gi, (m) => ({
      ...dayPart(onDay, m[1]!.toLowerCase(), tz),
      takesRelation: false,
    }));
    take(new RegExp(`\\b(?:between|from)\\s+(${CLOCK})\\s*(?:and|to|till|until|-|–)\\s*\\b(${CLOCK})(?![\\w:])`, 'gi'), (m) => {
      const second = parseClock(m[2]!, null);
      const first = parseClock(m[1]!, second?.meridiem ?? null);
      if (!first || !second || !(first.explicit || second.explicit)) return null;
      let firstMinutes = first.minutes;
      if (firstMinutes > second.minutes && first.inherited) firstMinutes -= 12 * 60;
      let start = clockOn(onDay, firstMinutes, tz);
      let end = clockOn(onDay, second.minutes, tz);
      if (!explicitDay && start > now) {
        start -= DAY;
        end -= DAY;
      }
      return { start, end, takesRelation: false };
    });
    take(new RegExp(`(?:\\b(at|around|about)\\s+)?\\b(${CLOCK})(?![\\w:])`, 'gi'), (m) => {
      const clock = parseClock(m[2]!, null);
      const hasRelation = /\b(since|after|before|until|till)\s+$/i.test(work.slice(0, m.index));
      if (!clock || !(clock.explicit || hasRelation)) return null;
      let t = clockOn(onDay, clock.minutes, tz);
      if (!explicitDay && t > now) t -= DAY;
      return { start: t - 30 * MINUTE, end: t + 30 * MINUTE, point: t, takesRelation: true };
    });
    for (const r of pastDates(work, chronoReference)) {
      let start = r.start.date().getTime();
      let end = r.end?.date().getTime();
      const shift = start > now ? pastShift(r.start, start, now) : 0;
      start -= shift;
      if (end !== undefined) end -= shift;
      const point = r.start.isCertain('hour') && end === undefined ? start : undefined;
      found.push({
        index: r.index,
        length: r.text.length,
        start: point !== undefined ? point - 30 * MINUTE : start,
        end: end ?? (point !== undefined ? point + 30 * MINUTE : startOfDay(start, tz, 1)),
        ...(point === undefined ? {} : { point }),
        takesRelation: end === undefined,
      });
      work = mask(work, r.index, r.text.length);
    }
    found.sort((a, b) => a.index - b.index);
    return { found, work };
  }
}

/** chrono's readings, without "now": a question about the present is about the latest memories, not a window. */
function pastDates(work: string, reference: chrono.ParsingReference): chrono.ParsedResult[] {
  return chrono.parse(work, reference).filter((r) => !/^(right\s+)?now$/i.test(r.text.trim()));
}

function relationBefore(text: string, f: Found): { relation: Relation; length: number } | null {
  if (!f.takesRelation) return null;
  const m = RELATION_BEFORE.exec(text.slice(0, f.index));
  return m ? { relation: RELATION_WORDS[m[1]!.toLowerCase()]!, length: m[0].length } : null;
}

function findEvent(work: string): { relation: 'before' | 'after'; phrase: string; text: string; index: number; length: number } | null {
  const m = /\b(before|after|since)\s+([^,.;:?!]*[\p{L}\p{N}][^,.;:?!]*)/iu.exec(work);
  if (!m) return null;
  const phrase = m[2]!.replace(/\s+/g, ' ').trim();
  return {
    relation: m[1]!.toLowerCase() === 'before' ? 'before' : 'after',
    phrase,
    text: m[0].trim(),
    index: m.index,
    length: m[0].length,
  };
}

function mask(s: string, index: number, length: number): string {
  return s.slice(0, index) + ' '.repeat(length) + s.slice(index + length);
}

function count(word: string): number {
  const w = word.toLowerCase().replace(/\s+/g, ' ');
  return NUMBER_WORDS[w] ?? Number(w);
}

function unitMs(unit: string): number {
  const u = unit.toLowerCase();
  return UNIT_MS[u.startsWith('mi') ? 'm' : u[0]!]!;
}

function dayPart(day: number, part: string, tz: string): { start: number; end: number } {
  const [from, to] = DAY_PARTS[part]!;
  return { start: clockOn(day, from * 60, tz), end: clockOn(day, to * 60, tz) };
}

/** The instant `minutes` after local midnight on the day starting at `day` (hours may pass 24). */
function clockOn(day: number, minutes: number, tz: string): number {
  const w = wallClock(day, tz);
  return fromWallClock(w.year, w.month, w.day, Math.floor(minutes / 60), minutes % 60, tz);
}

interface Clock {
  minutes: number;
  meridiem: 'am' | 'pm' | null;
  /** Said with am/pm, a colon, o'clock, noon or midnight: clearly a time, not a count. */
  explicit: boolean;
  inherited: boolean;
}

function parseClock(s: string, inheritMeridiem: 'am' | 'pm' | null): Clock | null {
  const t = s.toLowerCase().trim();
  if (t === 'noon') return { minutes: 12 * 60, meridiem: 'pm', explicit: true, inherited: false };
  if (t === 'midnight') return { minutes: 0, meridiem: 'am', explicit: true, inherited: false };
  const m = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|o'clock)?$/.exec(t);
  if (!m) return null;
  let hour = Number(m[1]);
  const minute = Number(m[2] ?? 0);
  const said = m[3]?.startsWith('a') ? 'am' : m[3]?.startsWith('p') ? 'pm' : null;
  const meridiem = said ?? (hour <= 12 ? inheritMeridiem : null);
  if (hour > 23 || minute > 59 || (meridiem && hour > 12)) return null;
  if (meridiem === 'pm' && hour < 12) hour += 12;
  if (meridiem === 'am' && hour === 12) hour = 0;
  return {
    minutes: hour * 60 + minute,
    meridiem,
    explicit: m[3] !== undefined || m[2] !== undefined,
    inherited: said === null && meridiem !== null,
  };
}

/** Local midnight of the most recent past day a chrono date names. */
function pastDay(c: chrono.ParsedComponents, now: number, tz: string): number {
  const t = c.date().getTime();
  return startOfDay(t - (t > now ? pastShift(c, t, now) : 0), tz);
}

/** How far to move a date chrono placed in the future so that it names the most recent past one. */
function pastShift(c: chrono.ParsedComponents, t: number, now: number): number {
  if (c.isCertain('year')) return 0;
  if (c.isCertain('month')) return t - new Date(t).setUTCFullYear(new Date(t).getUTCFullYear() - 1);
  if (c.isCertain('weekday') && !c.isCertain('day')) return 7 * DAY;
  if (!c.isCertain('day')) return Math.ceil((t - now) / DAY) * DAY;
  return 0;
}
