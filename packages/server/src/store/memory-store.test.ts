import { describeRelayStoreConformance } from '../test-support/store-conformance.js';
import { MemoryStore } from './memory-store.js';

describeRelayStoreConformance(
  'MemoryStore',
  async (region) => {
    const store = new MemoryStore({ region });
    return { store, cleanup: () => store.close() };
  },
  { persistent: false },
);
