import type { RosNanos } from '../time.js';
import type { PcmChunk } from '../media/PcmChunk.js';
import type { SpeechSpan, TranscriptLine } from './Segment.js';

/**
 * The audio side of segmentation: takes decoded audio as it arrives and, when a segment closes, gives the speech
 * heard in it (VAD spans) and, when a transcriber is configured, what was said. Callers must push chunks in stamp
 * order and call `take` with non-overlapping, increasing ranges; audio before a taken range's end is released.
 */
export interface SpeechTrack {
  push(chunk: PcmChunk): Promise<void>;
  take(start: RosNanos, end: RosNanos): Promise<{ speech: SpeechSpan[]; transcript: TranscriptLine[] }>;
  /** Forget buffered audio (a new episode after a clock reset). */
  reset(): void;
  /** Cancels the requests in flight for good (the pipeline is stopping): a `take` still running ends without them. */
  abort(): void;
}
