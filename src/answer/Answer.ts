import type { RosNanos } from '../time.js';
import type { Pose } from '../segment/Segment.js';
import type { TimeBounds } from './TimeExpressions.js';
import type { ScoredMemory } from '../memory/MemoryRecords.js';
import type { TaskAnswer } from '../memory/TaskRecords.js';

/** One memory an answer rests on (taskmem/msg/Evidence): when, where and what was remembered. */
export interface Evidence {
  memoryId: string;
  /** The robot that wrote the memory: a question across the fleet rests on memories of several. */
  robotId: string;
  start: RosNanos;
  end: RosNanos;
  text: string;
  /** Where the robot was, so a navigation stack can go there; null when no pose was recorded. */
  pose: Pose | null;
  /** Retrieval score for this question; comparable within one answer only. */
  score: number;
  /** Which retrievals found it: 'text' (full text), 'vector' (embedding similarity), or 'filter' alone. */
  matchedBy: ScoredMemory['matchedBy'];
  /** Ids of the people recognised in the memory's segment. */
  people: string[];
}

/** One retrieval made while answering, as logged. */
export interface Search {
  /**
   * 'question' for the first, 'person' for the memories of a person the question names (by id or by a name given
   * with `taskmem people name`), 'broaden' for the answerer's own retry, 'model' when the model asked.
   */
  by: 'question' | 'person' | 'broaden' | 'model';
  text: string;
  bounds: TimeBounds;
  found: number;
}

/** An answer from memory alone (taskmem/msg/Answer) plus how it was found. */
export interface Answer {
  questionId: string;
  question: string;
  /** Only memories created at or before this ROS time were seen. */
  askedAt: RosNanos;
  /** The answer; for multiple choice the chosen option's text. Empty when abstained or when no model answered. */
  answer: string;
  /** True when the answer is "not in memory": the model abstained, or, with no model, no memory matched at all. */
  abstained: boolean;
  /** 0..1, as the model stated it; 0 when no model answered. */
  confidence: number;
  /** Index into the choices; -1 for free form, an abstention, or no model. */
  chosenIndex: number;
  /** Letter of the chosen option ("A"…, "E"-style abstain letter included); null for free form or no model. */
  choice: string | null;
  /** Cited memories (model) or the ranked retrieval (no model), most relevant first. */
  evidence: Evidence[];
  /** Served model name; empty when no model answered and the evidence is the answer. */
  answeredBy: string;
  retrieval: {
    /**
     * 'hybrid' when vectors were searched, else 'full-text' (no source, embedding failed, or no memory has a vector
     * of the source's model). Time bounds apply to both.
     */
    mode: 'hybrid' | 'full-text';
    searches: Search[];
    /** Distinct memories the answerer saw. */
    considered: number;
  };
  /** What a user should know about how this answer was made (no model, no vectors, event not found, …). */
  notes: string[];
}

/** Progress of one question, for the Ask action's feedback. */
export interface AskFeedback {
  stage: 'retrieving' | 'searching' | 'answering';
  memoriesConsidered: number;
}

/** What the store keeps of an answer, beside the task it answers: the reply and the ids of its evidence. */
export function taskAnswer(answer: Answer): TaskAnswer {
  return {
    text: answer.answer,
    abstained: answer.abstained,
    confidence: answer.confidence,
    evidence: answer.evidence.map((e) => e.memoryId),
    answeredBy: answer.answeredBy,
  };
}
