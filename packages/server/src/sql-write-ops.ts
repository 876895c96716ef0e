import {
  type AnyCrdtState,
  type AnyCrdtType,
  AWSet,
  type ClockedActor,
  type DotEntry,
  GCounter,
  type HybridLogicalClock,
  InvalidArgumentError,
  type JsonValue,
  LWWMap,
  LWWRegister,
  type LwwEntry,
  MVRegister,
  ORMapType,
  ORSet,
  PNCounter,
  RWSet,
  type Value,
} from '@helios/core';
import type { WriteRequest } from './store/relay-store.js';

/**
 * The delta that applies a queued write request (docs/sql.md) to `state`, a document of `type`,
 * as the writer whose clock is `clock` (the relay's SQL replica).
 *
 * @throws {InvalidArgumentError} when the request does not fit the document (the SQL functions
 * check the type first, so this is a value the type refuses, or a document whose type changed).
 */
export function sqlWriteDelta(
  type: AnyCrdtType,
  state: AnyCrdtState,
  request: WriteRequest,
  clock: HybridLogicalClock,
): AnyCrdtState {
  const { op, key, arg } = request;
  if (key !== null) {
    if (!(type instanceof ORMapType) && !(type === LWWMap && op === 'set')) refuse(type, request);
    if (type === LWWMap)
      return LWWMap.set(
        state,
        observing(clock, state.store.entries.get(key)),
        key,
        jsonToValue(arg),
      );
    const map = type as ORMapType<unknown, unknown>;
    return map.update(state, key, (nested) =>
      sqlWriteDelta(map.valueType, nested, { ...request, key: null }, clock),
    );
  }
  const me = { replica: clock.replica };
  switch (op) {
    case 'increment': {
      if (typeof arg !== 'number') break;
      if (type === GCounter) return GCounter.increment(state, me, arg);
      if (type === PNCounter) {
        return arg > 0 ? PNCounter.increment(state, me, arg) : PNCounter.decrement(state, me, -arg);
      }
      break;
    }
    case 'set':
      if (type === LWWRegister)
        return LWWRegister.set(state, observing(clock, state.store), jsonToValue(arg));
      if (type === MVRegister) return MVRegister.set(state, me, jsonToValue(arg));
      break;
    case 'add':
      if (typeof arg !== 'string' && typeof arg !== 'number') break;
      if (type === AWSet) return AWSet.add(state, me, arg);
      if (type === ORSet) return ORSet.add(state, me, arg).delta;
      if (type === RWSet) return RWSet.add(state, me, arg);
      break;
    case 'remove':
      if (typeof arg !== 'string' && typeof arg !== 'number') break;
      if (type === AWSet) return AWSet.remove(state, me, arg);
      if (type === ORSet) return ORSet.remove(state, me, arg);
      if (type === RWSet) return RWSet.remove(state, me, arg);
      if (type === LWWMap) return LWWMap.remove(state, me, arg);
      if (type instanceof ORMapType) return type.remove(state, me, arg);
      break;
  }
  return refuse(type, request);
}

function refuse(type: AnyCrdtType, request: WriteRequest): never {
  const what = request.key === null ? request.op : `${request.op} with a key`;
  throw new InvalidArgumentError(
    `${what} of ${JSON.stringify(request.arg)} does not apply to a ${type.name}`,
  );
}

/**
 * The clock as an actor, having first seen the timestamps of the writes it replaces: a
 * last-writer-wins write from SQL wins against every write it saw, whatever the clocks say.
 */
function observing(
  clock: HybridLogicalClock,
  entries: readonly DotEntry<LwwEntry>[] | undefined,
): ClockedActor {
  for (const e of entries ?? []) {
    clock.receive({ wall: e.value.wall, counter: e.value.counter, replica: e.replica });
  }
  return { replica: clock.replica, now: () => clock.now() };
}

/** A JSON value as a register or map value: `{"$bytes": "<base64>"}` back to bytes. */
function jsonToValue(json: JsonValue): Value {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(jsonToValue);
  const entries = Object.entries(json);
  if (entries.length === 1 && entries[0]![0] === '$bytes' && typeof entries[0]![1] === 'string') {
    return new Uint8Array(Buffer.from(entries[0]![1], 'base64'));
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, jsonToValue(v)]));
}
