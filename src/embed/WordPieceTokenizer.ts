import { readFile } from 'node:fs/promises';

export interface TokenizedText {
  /** [CLS] word pieces [SEP], at most `maxTokens` long. */
  ids: number[];
}

/**
 * BERT's WordPiece tokenizer over a `vocab.txt` (one token per line, id = line number), as shipped with the
 * sentence-transformers and BGE/E5 models exported to ONNX. Basic step: optional lower-casing with accents
 * stripped, split on whitespace and around punctuation; then greedy longest-match word pieces, continuations
 * prefixed "##", a word with no decomposition becomes [UNK].
 */
export class WordPieceTokenizer {
  readonly #vocab: Map<string, number>;
  readonly #lowercase: boolean;
  readonly #cls: number;
  readonly #sep: number;
  readonly #unk: number;

  constructor(tokens: readonly string[], { lowercase = true }: { lowercase?: boolean } = {}) {
    this.#vocab = new Map(tokens.map((t, i) => [t, i]));
    this.#lowercase = lowercase;
    const special = (t: string) => {
      const id = this.#vocab.get(t);
      if (id === undefined) throw new Error(`WordPieceTokenizer: the vocabulary has no ${t} token`);
      return id;
    };
    this.#cls = special('[CLS]');
    this.#sep = special('[SEP]');
    this.#unk = special('[UNK]');
  }

  /** Reads `vocab.txt`; lower-casing follows `do_lower_case` of a `tokenizer_config.json` beside it (default on). */
  static async fromFiles(vocabPath: string, configPath: string | null): Promise<WordPieceTokenizer> {
    const tokens = (await readFile(vocabPath, 'utf8')).split(/\r?\n/);
    if (tokens.at(-1) === '') tokens.pop();
    let lowercase = true;
    if (configPath) {
      const config = JSON.parse(await readFile(configPath, 'utf8')) as { do_lower_case?: unknown };
      if (typeof config.do_lower_case === 'boolean') lowercase = config.do_lower_case;
    }
    return new WordPieceTokenizer(tokens, { lowercase });
  }

  encode(text: string, maxTokens: number): TokenizedText {
    const ids = [this.#cls];
    for (const word of this.#words(text)) {
      for (const id of this.#pieces(word)) {
        if (ids.length >= maxTokens - 1) break;
        ids.push(id);
      }
    }
    ids.push(this.#sep);
    return { ids };
  }

  #words(text: string): string[] {
    let t = text.replace(/[\p{Cc}\p{Cf}]/gu, ' ');
    if (this.#lowercase)
      t = t
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '');
    return t.match(/[\p{P}\p{S}]|[^\s\p{P}\p{S}]+/gu) ?? [];
  }

  #pieces(word: string): number[] {
    if (word.length > 100) return [this.#unk];
    const pieces: number[] = [];
    let start = 0;
    while (start < word.length) {
      let end = word.length;
      let id: number | undefined;
      while (end > start) {
        id = this.#vocab.get((start > 0 ? '##' : '') + word.slice(start, end));
        if (id !== undefined) break;
        end--;
      }
      if (id === undefined) return [this.#unk];
      pieces.push(id);
      start = end;
    }
    return pieces;
  }
}
