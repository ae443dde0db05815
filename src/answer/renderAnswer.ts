import { formatLocal } from './LocalTime.js';
import type { Answer } from './Answer.js';
import { terminalSafe } from '../text/terminalSafe.js';
import type { RosNanos } from '../time.js';

/**
 * An answer for a terminal, as `taskmem ask` and the demo print it: the answer line, then each memory it rests on
 * (time, place, id, text), then the notes; times in `timeZone`. Text from the store, the question and the model's
 * answer are printed terminal-safe on one line each, so none can move the cursor, retitle the window or forge a
 * line of the output.
 */
export function renderAnswer(answer: Answer, choices: readonly string[], timeZone: string): string {
  const time = (t: RosNanos) => formatLocal(Number(t / 1_000_000n), timeZone);
  const safe = (text: string) => terminalSafe(text, { newlines: false });
  const lines = [`Question: ${safe(answer.question)}  (asked ${time(answer.askedAt)})`];
  if (answer.answeredBy === '') lines.push('No model answered; the memories that match best:');
  else if (answer.abstained)
    lines.push(`Answer: cannot tell from memory (confidence ${answer.confidence.toFixed(2)}, ${safe(answer.answeredBy)})`);
  else {
    const choice = choices.length > 0 && answer.choice ? `${answer.choice}. ` : '';
    lines.push(`Answer: ${safe(choice)}${safe(answer.answer)}  (confidence ${answer.confidence.toFixed(2)}, ${safe(answer.answeredBy)})`);
  }
  if (answer.evidence.length > 0) {
    lines.push('', answer.answeredBy === '' ? 'Memories:' : 'Evidence:');
    answer.evidence.forEach((e, i) => {
      const place = e.pose ? `  at (${e.pose.x.toFixed(2)}, ${e.pose.y.toFixed(2)}) in ${safe(e.pose.frameId)}` : '';
      lines.push(`  ${i + 1}. ${time(e.start)} – ${time(e.end).slice(11)}${place}  [${safe(e.memoryId)}]`, `     ${safe(e.text)}`);
    });
  } else if (answer.answeredBy === '') {
    lines.push('  (none)');
  }
  if (answer.notes.length > 0) lines.push('', ...answer.notes.map((n) => `note: ${safe(n)}`));
  return lines.join('\n');
}
