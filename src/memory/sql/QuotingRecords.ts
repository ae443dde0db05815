import type { Memory } from '../Memory.js';
import type { SqlExecutor } from './SqlConnection.js';

/**
 * Records derived from memories that quote them (recorded answers, preference pairs): forgetting a memory removes
 * them with it, in the same transaction, so that nothing the store keeps still says what was forgotten.
 */
export interface QuotingRecords {
  /** Inside forget's transaction (`tx`): removes the records that rest on or quote any of `forgotten`; how many. */
  removeQuoting(tx: SqlExecutor, forgotten: readonly Memory[]): Promise<number>;
}
