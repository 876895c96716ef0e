/**
 * The worker thread of a {@link SqliteStore}: it owns the {@link SqliteEngine}, so the SQLite
 * calls (commits and their fsyncs above all) never block the relay's event loop. Requests are
 * answered one at a time, in the order they arrive: the order of the store's calls.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { unpackBatch } from './commit-packing.js';
import { StoreError } from './errors.js';
import { SqliteEngine, type SqliteEngineOptions } from './sqlite-engine.js';
import type { EngineCall, EngineReply } from './sqlite-protocol.js';

const port = parentPort;
if (port === null) throw new Error('sqlite-worker.js runs as a worker thread of SqliteStore');

let engine: SqliteEngine | undefined;

function reply(message: EngineReply): void {
  port!.postMessage(message);
}

function run(call: EngineCall): unknown {
  if (call.method === 'open') {
    engine = SqliteEngine.open(workerData as SqliteEngineOptions);
    return engine.epoch;
  }
  if (engine === undefined) throw new Error('the SQLite worker has no open store');
  if (call.method === 'commit') {
    return engine.commit(unpackBatch((call as EngineCall<'commit'>).args[0]));
  }
  // The method names and their arguments are those of SqliteEngine (see sqlite-protocol.ts).
  const method = engine[call.method] as (...args: unknown[]) => unknown;
  return method.apply(engine, call.args);
}

port.on('message', (call: EngineCall) => {
  try {
    reply({ id: call.id, value: run(call) });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    reply({
      id: call.id,
      error: {
        message: error.message,
        ...(error.stack !== undefined ? { stack: error.stack } : {}),
        ...(error instanceof StoreError ? { code: error.code } : {}),
      },
    });
  }
});
