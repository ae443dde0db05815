import { formatLocal } from './LocalTime.js';
import type { Answer } from './Answer.js';
import type { RosNanos } from '../time.js';

/**
 * An answer for a terminal, as `taskmem ask` and the demo print it: the answer line, then each memory it rests on
 * (time, place, id, text), then the notes; times in `timeZone`.
 */
export function renderAnswer(answer: Answer, choices: readonly string[], timeZone: string): string {
  const time = (t: RosNanos) => formatLocal(Number(t / 1_000_000n), timeZone);
  const lines = [`Question: ${answer.question}  (asked ${time(answer.askedAt)})`];
  if (answer.answeredBy === '') lines.push('No model answered; the memories that match best:');
  else if (answer.abstained)
    lines.push(`Answer: cannot tell from memory (confidence ${answer.confidence.toFixed(2)}, ${answer.answeredBy})`);
  else {
    const choice = choices.length > 0 && answer.choice ? `${answer.choice}. ` : '';
    lines.push(`Answer: ${choice}${answer.answer}  (confidence ${answer.confidence.toFixed(2)}, ${answer.answeredBy})`);
  }
  if (answer.evidence.length > 0) {
    lines.push('', answer.answeredBy === '' ? 'Memories:' : 'Evidence:');
    answer.evidence.forEach((e, i) => {
      const place = e.pose ? `  at (${e.pose.x.toFixed(2)}, ${e.pose.y.toFixed(2)}) in ${e.pose.frameId}` : '';
      lines.push(`  ${i + 1}. ${time(e.start)} – ${time(e.end).slice(11)}${place}  [${e.memoryId}]`, `     ${e.text}`);
    });
  } else if (answer.answeredBy === '') {
    lines.push('  (none)');
  }
  if (answer.notes.length > 0) lines.push('', ...answer.notes.map((n) => `note: ${n}`));
  return lines.join('\n');
}
