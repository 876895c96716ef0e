import { HeliosError } from '@helios/core';
import { describe, expect, it } from 'vitest';
import { ClientError, RefusedWriteError } from './client-error.js';
import { PersistenceError } from './persistence/persistence.js';

describe('client errors', () => {
  it('are HeliosErrors with a machine-readable code and their own name', () => {
    const storage = new PersistenceError('quota-exceeded', 'the origin is out of quota');
    expect(storage).toBeInstanceOf(HeliosError);
    expect(storage.code).toBe('quota-exceeded');
    expect(storage.problem).toBe('quota-exceeded');
    expect(storage.name).toBe('PersistenceError');

    const refused = new RefusedWriteError('forbidden', 'notes:bob', 'no write access');
    expect(refused).toBeInstanceOf(ClientError);
    expect(refused).toBeInstanceOf(HeliosError);
    expect(refused.code).toBe('refused');
    expect(refused.relayCode).toBe('forbidden');
    expect(refused.name).toBe('RefusedWriteError');
    expect(refused.message).toContain('notes:bob');
  });
});
