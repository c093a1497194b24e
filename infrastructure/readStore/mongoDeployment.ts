import type { Document } from 'mongodb';

/**
 * Why this deployment cannot run m3m's read store, or null when it can. Projections and worker bookkeeping
 * commit in transactions, which MongoDB offers only on a replica set member (`setName`) or through a sharded
 * cluster's router (`msg: 'isdbgrid'`); on a standalone server every one of them fails (code 20), so the read
 * models would silently never move.
 */
export function deploymentProblem(hello: Document): string | null {
  if (typeof hello.setName === 'string' && hello.setName !== '') return null;
  if (hello.msg === 'isdbgrid') return null;
  return (
    'MongoDB is running as a standalone server, and m3m needs transactions, which MongoDB offers only on a ' +
    'replica set or a sharded cluster. Run it as a replica set (a single node is enough: start mongod with ' +
    '--replSet rs0 and run rs.initiate() once, as docker-compose.yml does) and add ?replicaSet=rs0 to M3M_MONGO_URL.'
  );
}
