import { MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { DuplicateKeyError, TransactionLimitError } from '../../application/ports/readStore.ts';
import { deploymentProblem } from '../../infrastructure/readStore/mongoDeployment.ts';
import { asDuplicateKey, asTransactionLimit } from '../../infrastructure/readStore/mongoErrors.ts';
import { describeIndex } from '../../infrastructure/readStore/mongoIndexes.ts';

// The MongoDB adapter's decisions that need no server, checked with the driver's own error class and the
// documented shapes of the `hello` reply; the adapter as a whole runs the read store contract suite against a
// server when M3M_TEST_MONGO_URL is set.

describe('MongoDB read store rules', () => {
  it('refuses a standalone server, saying to run a replica set, and accepts replica sets and mongos', () => {
    const standalone = { isWritablePrimary: true, maxWireVersion: 25, ok: 1 };
    expect(deploymentProblem(standalone)).toMatch(
      /standalone.*replica set.*--replSet rs0.*rs\.initiate\(\)/s,
    );
    expect(
      deploymentProblem({ isWritablePrimary: true, setName: 'rs0', hosts: ['mongo:27017'], ok: 1 }),
    ).toBeNull();
    expect(deploymentProblem({ isWritablePrimary: true, msg: 'isdbgrid', ok: 1 })).toBeNull();
  });

  it('maps the server giving up on a transaction to TransactionLimitError, and nothing else', () => {
    for (const [code, codeName] of [
      [50, 'MaxTimeMSExpired'],
      [251, 'NoSuchTransaction'],
      [290, 'TransactionExceededLifetimeLimitSeconds'],
      [334, 'TransactionTooLarge'],
      [10334, 'TransactionTooLargeForCache'],
    ] as const) {
      const mapped = asTransactionLimit(new MongoServerError({ code, codeName, errmsg: 'gave up' }));
      expect(mapped).toBeInstanceOf(TransactionLimitError);
      expect((mapped as Error).message).toContain(codeName);
    }
    const duplicate = new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' });
    expect(asTransactionLimit(duplicate)).toBe(duplicate);
    expect(asDuplicateKey(duplicate, 'users')).toBeInstanceOf(DuplicateKeyError);
  });

  it('makes unique indexes skip documents with a missing or null field, on every field of the key', () => {
    expect(describeIndex({ fields: ['createdAt'] })).toEqual({ key: new Map([['createdAt', 1]]) });
    const unique = describeIndex({ fields: ['projectId', 'slug'], unique: true });
    expect(unique.unique).toBe(true);
    const filter = unique.partialFilterExpression as Record<string, { $type: string[] }>;
    expect(Object.keys(filter)).toEqual(['projectId', 'slug']);
    for (const field of Object.values(filter)) {
      expect(field.$type).toEqual(expect.arrayContaining(['string', 'number', 'bool']));
      expect(field.$type).not.toContain('null');
    }
    expect(describeIndex({ fields: ['id', 'n'], unique: true }).key).toEqual(
      new Map([
        ['_id', 1],
        ['n', 1],
      ]),
    );
  });
});
