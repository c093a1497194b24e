import { MongoServerError } from 'mongodb';
import { DuplicateKeyError, TransactionLimitError } from '../../application/ports/readStore.ts';

const DUPLICATE_KEY = 11000;
const NAMESPACE_NOT_FOUND = 26;
const NAMESPACE_EXISTS = 48;

/**
 * The server's ways of giving up on a transaction that ran too long or grew too large: MaxTimeMSExpired,
 * ExceededTimeLimit, NoSuchTransaction (what an operation gets once the server aborted the transaction at
 * `transactionLifetimeLimitSeconds`), TransactionExceededLifetimeLimitSeconds, TransactionTooLarge,
 * TransactionTooLargeForCache.
 */
const TRANSACTION_LIMITS = new Set([50, 262, 251, 290, 334, 10334]);

/** Our `id` is Mongo's `_id`. */
export const mongoField = (field: string) => (field === 'id' ? '_id' : field);

export function asDuplicateKey(error: unknown, collection: string): unknown {
  // A transient error inside a transaction must keep its labels so that withTransaction retries it.
  if (
    error instanceof MongoServerError &&
    error.code === DUPLICATE_KEY &&
    !error.hasErrorLabel('TransientTransactionError')
  ) {
    return new DuplicateKeyError(collection, error.message);
  }
  return error;
}

/** Only for errors that left `withTransaction`: inside it, these must keep their labels to be retried. */
export function asTransactionLimit(error: unknown): unknown {
  if (error instanceof MongoServerError && TRANSACTION_LIMITS.has(Number(error.code))) {
    return new TransactionLimitError(`${error.codeName ?? error.code}: ${error.message}`);
  }
  return error;
}

export function isNamespaceNotFound(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND;
}

export function isNamespaceExists(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === NAMESPACE_EXISTS;
}
