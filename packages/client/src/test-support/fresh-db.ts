let dbCounter = 0;
/** A database name no other test of this process uses. */
export const freshDb = (prefix = 'test-db'): string => `${prefix}-${process.pid}-${++dbCounter}`;
