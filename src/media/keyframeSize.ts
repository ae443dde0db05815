/** Qwen3-VL reads images in 32×32 patches: sides that are multiples of 32 waste nothing. */
const PATCH = 32;

/**
 * The size a frame of `width`×`height` is sent at: both sides multiples of 32, the long side at most `longSide`
 * (rounded down to a multiple of 32) and never larger than the source's (rounded down), the short side the
 * nearest multiple of 32 to the exact aspect. Where that would enlarge the short side beyond the source's, the
 * short side is capped and the long side shortened to keep the aspect. Only a side below 32 is scaled up, to 32.
 */
export function keyframeSize(width: number, height: number, longSide: number): { width: number; height: number } {
  const landscape = width >= height;
  const long = landscape ? width : height;
  const short = landscape ? height : width;
  const targetLong = Math.max(PATCH, Math.min(floorToPatch(longSide), floorToPatch(long)));
  const nearestShort = Math.round((short * targetLong) / long / PATCH) * PATCH;
  const shortCap = Math.max(PATCH, floorToPatch(short));
  if (nearestShort <= shortCap) return oriented(landscape, targetLong, Math.max(PATCH, nearestShort));
  // The short side cannot grow to match: shorten the long side to the cap's aspect instead.
  const longForCap = Math.round((long * shortCap) / short / PATCH) * PATCH;
  return oriented(landscape, Math.min(targetLong, Math.max(PATCH, longForCap)), shortCap);
}

function oriented(landscape: boolean, long: number, short: number): { width: number; height: number } {
  return landscape ? { width: long, height: short } : { width: short, height: long };
}

function floorToPatch(n: number): number {
  return Math.floor(n / PATCH) * PATCH;
}
