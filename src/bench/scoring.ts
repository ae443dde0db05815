import type OpenAI from 'openai';
import type { Answer } from '../answer/Answer.js';
import { afterThinking, jsonObjects } from '../answer/AnswerReply.js';
import type { PromptTemplate } from '../memorize/PromptTemplate.js';
import type { BenchQuestion } from './datasets.js';
import type { PaperAnswer } from './PaperAnswerer.js';

/** What a run's answer to one question came to. */
export interface Verdict {
  abstained: boolean;
  correct: boolean;
  /** The letter chosen for multiple choice, or the answer text for free form. */
  predicted: string;
  /** The answer could not be read (scored answered and wrong). */
  unparsable: boolean;
  /** The judge gave no readable grade on any attempt (scored wrong). */
  judgeError: boolean;
}

/**
 * Grades an answer of the robot's answerer. Multiple choice: by the letter the answerer read from the model's
 * final answer (never the reply's first character); the abstain option (E after A–D) counts as abstention, and so
 * does a reply the answerer could not use (the robot then says it does not know). Free form: "insufficient
 * information" is an abstention, anything else goes to the judge.
 */
export async function gradeAnswer(question: BenchQuestion, answer: Answer, judge: FreeFormJudge | null): Promise<Verdict> {
  const none = { unparsable: false, judgeError: false };
  if (question.options.length > 0) {
    if (answer.abstained || answer.choice === null) return { ...none, abstained: true, correct: false, predicted: answer.choice ?? '' };
    return { ...none, abstained: false, correct: answer.choice === question.answer.toUpperCase(), predicted: answer.choice };
  }
  if (answer.abstained) return { ...none, abstained: true, correct: false, predicted: answer.answer };
  return judged(question, answer.answer, judge);
}

/**
 * Grades an answer of the paper's protocol as the reference does: the abstain option or "Insufficient
 * Information" is an abstention; a reply that cannot be read is answered and wrong; a free-form answer goes to
 * the judge.
 */
export async function gradePaperAnswer(question: BenchQuestion, answer: PaperAnswer, judge: FreeFormJudge | null): Promise<Verdict> {
  const none = { unparsable: false, judgeError: false };
  if (answer.unparsable) return { ...none, unparsable: true, abstained: false, correct: false, predicted: answer.predicted };
  if (answer.abstained) return { ...none, abstained: true, correct: false, predicted: answer.predicted };
  if (question.options.length > 0)
    return { ...none, abstained: false, correct: answer.predicted === question.answer.toUpperCase(), predicted: answer.predicted };
  return judged(question, answer.predicted, judge);
}

async function judged(question: BenchQuestion, prediction: string, judge: FreeFormJudge | null): Promise<Verdict> {
  if (!judge) throw new Error('bench: free-form questions need a judge (an answering endpoint, or --judge-url)');
  const grade = await judge.score(question.question, question.answer, prediction);
  return { abstained: false, correct: grade === 'correct', predicted: prediction, unparsable: false, judgeError: grade === 'error' };
}

export interface FreeFormJudgeOptions {
  client: OpenAI;
  model: string;
  /** The judge prompt, with {question}, {reference} and {prediction} slots. */
  prompt: PromptTemplate;
  /** Most tokens of one judge reply, thinking included: a thinking judge needs thousands. */
  maxTokens: number;
  timeoutMs: number;
  /** Requests per answer until the reply holds a grade. */
  attempts?: number;
}

/**
 * Marks a free-form answer correct or incorrect against the reference with an LLM judge, as the paper's protocol
 * does. The grade is read after any thinking: a "pred" of correct or incorrect (JSON or a Python dictionary, as
 * the reference's judge writes it), else a final CORRECT or INCORRECT. A reply without a grade is asked again;
 * after `attempts` such replies the answer is scored wrong and counted as a judge error (the reference scores
 * it 0). A request that fails after the client's retries throws: the run stops rather than record a guess.
 */
export class FreeFormJudge {
  readonly #client: OpenAI;
  readonly #model: string;
  readonly #prompt: PromptTemplate;
  readonly #maxTokens: number;
  readonly #timeoutMs: number;
  readonly #attempts: number;

  constructor({ client, model, prompt, maxTokens, timeoutMs, attempts = 3 }: FreeFormJudgeOptions) {
    this.#client = client;
    this.#model = model;
    this.#prompt = prompt;
    this.#maxTokens = maxTokens;
    this.#timeoutMs = timeoutMs;
    this.#attempts = attempts;
  }

  async score(question: string, reference: string, prediction: string): Promise<'correct' | 'incorrect' | 'error'> {
    const content = this.#prompt.fill({ question, reference, prediction });
    for (let attempt = 0; attempt < this.#attempts; attempt++) {
      const reply = await this.#client.chat.completions.create(
        { model: this.#model, temperature: 0, max_tokens: this.#maxTokens, messages: [{ role: 'user', content }] },
        { timeout: this.#timeoutMs },
      );
      const grade = readGrade(reply.choices[0]?.message.content ?? '');
      if (grade) return grade;
    }
    return 'error';
  }
}

/** The grade in a judge's reply, or null when it states none. */
export function readGrade(reply: string): 'correct' | 'incorrect' | null {
  const final = afterThinking(reply);
  for (const candidate of jsonObjects(final).reverse()) {
    const pred = (candidate as { pred?: unknown } | null)?.pred;
    if (typeof pred === 'string' && /^(in)?correct$/i.test(pred.trim())) return pred.trim().toLowerCase() as 'correct' | 'incorrect';
  }
  const dictionary = [...final.matchAll(/["']pred["']\s*:\s*["']((?:in)?correct)["']/gi)].at(-1);
  if (dictionary) return dictionary[1]!.toLowerCase() as 'correct' | 'incorrect';
  const word = [...final.matchAll(/\b(INCORRECT|CORRECT)\b/g)].at(-1);
  return word ? (word[1]!.toLowerCase() as 'correct' | 'incorrect') : null;
}
