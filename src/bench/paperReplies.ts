import { afterThinking, jsonObjects } from '../answer/AnswerReply.js';

/**
 * The letter a multiple-choice reply of the paper's protocol settles on, from its final answer (after any
 * thinking): a JSON object's "answer", else the last "Answer: X" line, else a reply that is a lone letter; null
 * when it names none of `valid` (the option letters and the abstain letter): an unparsable reply.
 */
export function readChoice(reply: string, valid: readonly string[]): string | null {
  const final = afterThinking(reply);
  const pick = (text: string) => {
    const t = text.trim();
    const letter = /^\W*([A-Za-z])\W*$/.exec(t)?.[1] ?? /^\(?([A-Z])[.):\]]?(?:\s|$)/.exec(t)?.[1];
    return letter && valid.includes(letter.toUpperCase()) ? letter.toUpperCase() : null;
  };
  for (const candidate of jsonObjects(final).reverse()) {
    if (typeof candidate === 'object' && candidate !== null && 'answer' in candidate) {
      const chosen = pick(String(candidate.answer));
      if (chosen) return chosen;
    }
  }
  const stated = [...final.matchAll(/\banswer(?:\s+is)?\W{0,3}\s*\[?\(?([A-Z])\)?\]?(?![A-Za-z])/gi)].map((m) => m[1]!.toUpperCase());
  const last = stated.reverse().find((l) => valid.includes(l));
  return last ?? pick(final);
}

/** What a free-form reply of the paper's protocol says: an abstention ("Insufficient Information"), an answer, or nothing. */
export function readOpen(reply: string): { abstained: true } | { abstained: false; answer: string } | null {
  const final = afterThinking(reply).trim();
  if (final === '') return null;
  if (/insufficient\s+information/i.test(final)) return { abstained: true };
  return { abstained: false, answer: final };
}

/**
 * The majority of the samples' letters, as the reference votes EgoLife answers: each readable letter is a vote,
 * a tie goes to the earliest letter, and no readable letter at all is no answer (null).
 */
export function majority(
  letters: readonly (string | null)[],
  valid: readonly string[],
): { winner: string | null; votes: Record<string, number> } {
  const votes: Record<string, number> = Object.fromEntries(valid.map((l) => [l, 0]));
  for (const letter of letters) if (letter !== null && letter in votes) votes[letter]!++;
  let winner: string | null = null;
  for (const letter of valid) if (votes[letter]! > 0 && (winner === null || votes[letter]! > votes[winner]!)) winner = letter;
  return { winner, votes };
}
