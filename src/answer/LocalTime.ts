/**
 * Wall-clock time in an IANA time zone, for reading phrases such as "this morning" or "3 pm" against a ROS
 * stamp. Works in epoch milliseconds; Intl supplies the zone's offset (daylight saving included).
 */

export interface WallClock {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        weekday: 'short',
      });
    } catch {
      throw new RangeError(`time zone "${timeZone}" is not an IANA time zone name (e.g. UTC, Europe/Berlin)`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError naming the zone when it is not a valid IANA name. */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function wallClock(ms: number, timeZone: string): WallClock {
  if (timeZone === 'UTC') {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      weekday: d.getUTCDay(),
    };
  }
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? ''),
  };
}

/** Offset of the zone from UTC at instant `ms`, in milliseconds (east positive). */
export function zoneOffset(ms: number, timeZone: string): number {
  return offsetOf(wallClock(ms, timeZone), ms);
}

function offsetOf(w: WallClock, ms: number): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant at which the zone's clocks show the given local time. Day and hour may overflow (day 0, hour 24)
 * and are normalised like Date.UTC does. In a daylight-saving gap the later offset wins.
 */
export function fromWallClock(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const naive = Date.UTC(year, month - 1, day, hour, minute);
  const first = naive - zoneOffset(naive, timeZone);
  return naive - zoneOffset(first, timeZone);
}

/** Local midnight starting the day that contains `ms`, shifted by `days` days. */
export function startOfDay(ms: number, timeZone: string, days = 0): number {
  const w = wallClock(ms, timeZone);
  return fromWallClock(w.year, w.month, w.day + days, 0, 0, timeZone);
}

/** "2026-11-21 14:03:05 +01:00": a local rendering that a model and a person both read unambiguously. */
export function formatLocal(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  const offset = Math.round(offsetOf(w, ms) / 60000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)} ${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
