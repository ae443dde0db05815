/**
 * A question the answerer cannot take as asked: a time phrase it cannot read ("--since 'when pigs fly'"), a date
 * that does not exist, more options than there are letters. The message says which part and what would do.
 * A RangeError, as these are values outside what the answerer accepts.
 */
export class QuestionError extends RangeError {
  override name = 'QuestionError';
}
