import { createHash } from 'node:crypto';
import type { EmbeddingsRequest } from './StandInModelServer.js';

/**
 * Stand-in embeddings with real semantic structure, for the stand-in model server's embeddings endpoint. Not a
 * model: a text is the sum of its words, each word an axis, except that the words of one synonym group share
 * their group's axis — so "purse" and "wallet", "mug" and "cup" are as close as a real embedding model would put
 * them, while unrelated words land on unrelated axes. Function words carry no axis. A model name picks the
 * layout: two models give different vectors for one text, as two real models do (the axes are permuted).
 */

/** Words of one meaning; each group is one axis. */
const SYNONYMS: readonly (readonly string[])[] = [
  ['wallet', 'purse', 'billfold'],
  ['mug', 'cup', 'teacup'],
  ['sofa', 'couch', 'settee'],
  ['keys', 'keyring', 'key'],
  ['plant', 'flower', 'fern', 'houseplant'],
  ['kitchen', 'galley'],
  ['bin', 'trash', 'garbage', 'rubbish'],
  ['phone', 'smartphone', 'mobile'],
  ['chair', 'stool', 'seat'],
  ['window', 'windowpane'],
];

const FUNCTION_WORDS = new Set(
  'a an the is are was were be been of in on at by to for from with and or but my your his her its our their this that these those where what which who when how did does do i you he she it we they there here'.split(
    ' ',
  ),
);

/** Dimensions of every concept vector. */
export const CONCEPT_DIMS = 64;

function axis(word: string, model: string): number {
  const group = SYNONYMS.findIndex((g) => g.includes(word));
  const key = group === -1 ? `word:${word}` : `group:${group}`;
  return createHash('sha256').update(`${model}\0${key}`).digest().readUInt32LE(0) % CONCEPT_DIMS;
}

/** The stand-in embedding of `text` under `model` (not normalised: the client normalises, as with a real server). */
export function conceptEmbedding(text: string, model: string): number[] {
  const v = new Array<number>(CONCEPT_DIMS).fill(0);
  // A small floor on every axis: a text of function words only is still a valid, finite, non-zero vector.
  for (let i = 0; i < CONCEPT_DIMS; i++) v[i] = 0.001;
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) if (!FUNCTION_WORDS.has(word)) v[axis(word, model)]! += 1;
  return v;
}

/** An `onEmbeddings` handler for StandInModelServer serving concept embeddings of the requested model. */
export function conceptEmbeddings(request: EmbeddingsRequest): number[][] {
  return (typeof request.input === 'string' ? [request.input] : request.input).map((t) => conceptEmbedding(t, request.model));
}
