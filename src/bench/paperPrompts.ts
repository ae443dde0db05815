import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PromptTemplate } from '../memorize/PromptTemplate.js';
import { FOCUS_TEMPLATE_SLOTS, MEMORIZE_TEMPLATE_SLOTS } from '../memorize/templatePrompt.js';

/**
 * The answer and judge prompts of the paper's protocol, written for this project with the semantics of the TaskMem
 * reference's QA scripts: the whole memory in time blocks, an answer in any case, abstention (the option after the
 * last, or "Insufficient Information") only when the answer cannot be found; for EgoLife clips the question is
 * asked at the current clip and its evidence is usually in the target clips, and the reply is JSON; for
 * EgoTempo every action refers to the person wearing the camera. `--prompts DIR` replaces any of them by a file.
 */
export type PaperPromptName =
  | 'answer-videomme'
  | 'answer-egolife'
  | 'answer-egolife-stream'
  | 'answer-egotempo'
  | 'answer-open'
  | 'judge'
  | 'memorize'
  | 'memorize-focus';

/** Slots of the answer prompts: the memory text, the question, the lettered options, the letters, the abstain letter, the time asked. */
const ANSWER_SLOTS = ['memory', 'question', 'options', 'letters', 'abstain', 'time'] as const;
const JUDGE_SLOTS = ['question', 'reference', 'prediction'] as const;

const SPECS: Record<PaperPromptName, { slots: readonly string[]; required: readonly string[] }> = {
  'answer-videomme': { slots: ANSWER_SLOTS, required: ['memory', 'question', 'options'] },
  'answer-egolife': { slots: ANSWER_SLOTS, required: ['memory', 'question', 'options'] },
  'answer-egolife-stream': { slots: ANSWER_SLOTS, required: ['memory', 'question', 'options'] },
  'answer-egotempo': { slots: ANSWER_SLOTS, required: ['memory', 'question'] },
  'answer-open': { slots: ANSWER_SLOTS, required: ['memory', 'question'] },
  judge: { slots: JUDGE_SLOTS, required: ['question', 'reference', 'prediction'] },
  memorize: { slots: MEMORIZE_TEMPLATE_SLOTS, required: ['frames'] },
  'memorize-focus': { slots: FOCUS_TEMPLATE_SLOTS, required: ['examples'] },
};

/** The end of the EgoLife prompts: the question, its options, and the reply as JSON, as the reference asks for it. */
const CHOICE_AS_JSON = `

Question: {question}

Options:
{options}

Reply with JSON only, without code fences or any other text, in this form:
{"cot": "your reasoning", "answer": "one of {letters} or {abstain}"}`;

/** The end of the free-form prompts: the memory, the question, and the abstention the reference reads. */
const OPEN_ANSWER = `

Video description:
{memory}

Question:
{question}

If the descriptions are not enough to answer the question, reply exactly 'Insufficient Information'.
Answer:`;

const BUILT_IN: Record<Exclude<PaperPromptName, 'memorize' | 'memorize-focus'>, string> = {
  'answer-videomme': `Below is what was memorized of a video while it played: one description per stretch of time, each under its start and end time. Answer the multiple-choice question from these descriptions. Give your reasoning first, then the letter of the option you choose: one of {letters}. Only if the descriptions do not contain the answer, choose {abstain}.

Video description:
{memory}

Question:
{question}
{options}

Reasoning:
[your reasoning]

Answer: [one of {letters} or {abstain}]`,

  'answer-egolife': `Below is what was memorized of clips of a first-person recording: the CURRENT clip, in which the question is asked, and the TARGET clips, where the evidence the question needs usually lies. Each clip is labelled with its day and time, and its descriptions with their start and end time within the clip. Choose the option that answers the question, from these descriptions: one of {letters}. Only if the descriptions do not contain the answer, choose {abstain}.

Description:
{memory}${CHOICE_AS_JSON}`,

  'answer-egolife-stream': `Below is what was memorized of a first-person recording up to the moment the question is asked, {time}: one description per stretch of time, each under its day and time. Choose the option that answers the question, from these descriptions: one of {letters}. Only if the descriptions do not contain the answer, choose {abstain}.

Description:
{memory}${CHOICE_AS_JSON}`,

  'answer-egotempo': `Below is what was memorized of a video recorded by the person wearing the camera: one description per stretch of time, each under its start and end time. Answer the question from these descriptions. Answer it in any case; do not ask for more context. Every action the question mentions, and every "I" or "my", refers to the person recording the video.${OPEN_ANSWER}`,

  'answer-open': `Below is what was memorized of a video while it played: one description per stretch of time, each under its start and end time. Answer the question from these descriptions. Answer it in any case; do not ask for more context.${OPEN_ANSWER}`,

  judge: `You check answers to questions about videos. Compare the predicted answer with the ground-truth answer and decide whether the prediction is correct. Judge by meaning: a prediction that states the same fact in other words is correct; one that states a different fact is incorrect; an uncertain prediction, such as one saying the question cannot be answered from the video, is incorrect unless the ground-truth answer says the same.

Question: {question}
Ground-truth answer: {reference}
Predicted answer: {prediction}

Give your verdict as a dictionary with the keys 'pred' (the string 'correct' or 'incorrect'), 'score' (an integer from 0, fully wrong, to 5, fully correct) and 'reason' (why), for example {'pred': 'correct', 'score': 5, 'reason': 'It names the same object.'}`,
};

/** The prompts of one run: each template built in or read from `--prompts DIR`, with its hash for results. */
export class PaperPrompts {
  readonly #templates: Map<PaperPromptName, PromptTemplate>;
  /** The memorization files found in the folder (they go to memorizer.prompt_file / focus_prompt_file). */
  readonly memorizeFile: string | null;
  readonly memorizeFocusFile: string | null;

  private constructor(templates: Map<PaperPromptName, PromptTemplate>, memorizeFile: string | null, memorizeFocusFile: string | null) {
    this.#templates = templates;
    this.memorizeFile = memorizeFile;
    this.memorizeFocusFile = memorizeFocusFile;
  }

  /**
   * The built-in prompts, each replaced by `<dir>/<name>.txt` when that file exists. A `.txt` file whose name is
   * none of the known prompts is an error (a misspelt name would otherwise leave the built-in prompt in use).
   */
  static async load(dir: string | null): Promise<PaperPrompts> {
    const templates = new Map<PaperPromptName, PromptTemplate>();
    for (const [name, text] of Object.entries(BUILT_IN) as [keyof typeof BUILT_IN, string][]) {
      templates.set(name, new PromptTemplate(text, SPECS[name].slots, `built-in ${name}`));
    }
    if (dir === null) return new PaperPrompts(templates, null, null);
    let files: string[];
    try {
      files = (await readdir(dir)).filter((f) => f.endsWith('.txt'));
    } catch (error) {
      throw new Error(`--prompts ${dir}: cannot list it: ${(error as Error).message}`, { cause: error });
    }
    const known = Object.keys(SPECS);
    const unknown = files.filter((f) => !known.includes(f.slice(0, -4)));
    if (unknown.length > 0)
      throw new Error(
        `--prompts ${dir}: ${unknown.join(', ')}: not a prompt name; the names are ${known.map((n) => `${n}.txt`).join(', ')}`,
      );
    for (const file of files) {
      const name = file.slice(0, -4) as PaperPromptName;
      templates.set(name, await PromptTemplate.load(join(dir, file), SPECS[name].slots, SPECS[name].required));
    }
    const path = (name: PaperPromptName) => (files.includes(`${name}.txt`) ? join(dir, `${name}.txt`) : null);
    return new PaperPrompts(templates, path('memorize'), path('memorize-focus'));
  }

  /** A prompt of the answer side (the memorization prompts belong to the memorizer). */
  get(name: Exclude<PaperPromptName, 'memorize' | 'memorize-focus'>): PromptTemplate {
    return this.#templates.get(name)!;
  }

  /** Hash of each prompt in `names`, with where it came from, for the run's record. */
  describe(names: PaperPromptName[]): Record<string, string> {
    return Object.fromEntries(
      names.flatMap((name) => {
        const t = this.#templates.get(name);
        return t ? [[name, `${t.hash} (${t.source.startsWith('built-in') ? 'built-in' : t.source})`]] : [];
      }),
    );
  }
}
