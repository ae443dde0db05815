/**
 * Approximate token count of model text, for the output contract's length limits and length comparisons. The
 * policy's tokenizer is not available here; Qwen-family tokenizers give about 4 characters of English per token
 * and about one token per CJK character, so this counts CJK characters one each and other characters a quarter
 * each, rounded up. Within about ±20 % of the real count for English prose.
 */
export function approximateTokens(text: string): number {
  let cjk = 0;
  for (const _ of text.matchAll(CJK)) cjk++;
  return cjk + Math.ceil((text.length - cjk) / 4);
}

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/gu;
