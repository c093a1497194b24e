import { describe } from 'vitest';
import { openKurrentEventStore } from '../../infrastructure/eventStore/kurrentEventStore.ts';
import { eventStoreContract } from './eventStore.contract.ts';

// No KurrentDB server can be installed on the build machines: this suite runs only where one is provided,
// e.g. M3M_TEST_KURRENTDB_URL=kurrentdb://localhost:2113?tls=false with docker-compose.
const url = process.env.M3M_TEST_KURRENTDB_URL;

describe.runIf(url)('KurrentDB event store', () => {
  eventStoreContract('kurrentdb', async () => {
    const store = openKurrentEventStore({ connectionString: url! });
    return { store, cleanup: () => store.close() };
  });
});
