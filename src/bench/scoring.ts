import type OpenAI from 'openai';
import type { Answer } from '../answer/Answer.js';
import type { BenchQuestion } from './datasets.js';

/** What a run's answer to one question came to. */
export interface Verdict {
  abstained: boolean;
  correct: boolean;
  /** The letter chosen for multiple choice, or the answer text for free form. */
  predicted: string;
}

/**
 * Grades one answer. Multiple choice: by the letter the answerer read from the model's final answer (never
 * the reply's first character); the abstain option (E after A–D) counts as abstention. Free form: "insufficient
 * information" is an abstention, anything else goes to the judge.
 */
export async function gradeAnswer(question: BenchQuestion, answer: Answer, judge: FreeFormJudge | null): Promise<Verdict> {
  if (question.options.length > 0) {
    if (answer.abstained || answer.choice === null) return { abstained: true, correct: false, predicted: answer.choice ?? '' };
    return { abstained: false, correct: answer.choice === question.answer.toUpperCase(), predicted: answer.choice };
  }
  if (answer.abstained) return { abstained: true, correct: false, predicted: answer.answer };
  if (!judge) throw new Error('bench: free-form questions need a judge (an answering endpoint, or --judge-url)');
  return { abstained: false, correct: await judge.score(question.question, question.answer, answer.answer), predicted: answer.answer };
}

export interface FreeFormJudgeOptions {
  client: OpenAI;
  model: string;
  timeoutMs?: number;
}

/**
 * Marks a free-form answer correct or incorrect against the reference with an LLM judge, as the paper's
 * protocol does. The judge must end with CORRECT or INCORRECT; a reply with neither, or a failed request after
 * the client's retries, is an error: a run must not record a guess as a score.
 */
export class FreeFormJudge {
  readonly #client: OpenAI;
  readonly #model: string;
  readonly #timeoutMs: number;

  constructor({ client, model, timeoutMs = 60_000 }: FreeFormJudgeOptions) {
    this.#client = client;
    this.#model = model;
    this.#timeoutMs = timeoutMs;
  }

  async score(question: string, reference: string, answer: string): Promise<boolean> {
    const reply = await this.#client.chat.completions.create(
      {
        model: this.#model,
        temperature: 0,
        max_tokens: 512,
        messages: [
          {
            role: 'system',
            content:
              'You grade answers to questions about a video. Compare the candidate answer with the reference answer; ' +
              'minor wording differences are fine, a different fact is not. End with one word on its own line: CORRECT or INCORRECT.',
          },
          { role: 'user', content: JSON.stringify({ question, reference, candidate: answer }) },
        ],
      },
      { timeout: this.#timeoutMs },
    );
    const content = (reply.choices[0]?.message.content ?? '').replace(/<think>[\s\S]*?<\/think>/g, '');
    const grade = [...content.matchAll(/\b(INCORRECT|CORRECT)\b/g)].at(-1)?.[1];
    if (!grade) throw new Error(`bench: the free-form judge gave no grade: ${JSON.stringify(content.slice(0, 200))}`);
    return grade === 'CORRECT';
  }
}
