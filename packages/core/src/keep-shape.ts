/** Instances kept for the life of the process: see {@link keepShape}. */
const kept: object[] = [];

/**
 * Keeps one instance of a class alive for good, and with it the class's hidden class (V8's
 * "map"). V8 reaches the map of an instance whose fields were added by its constructor only
 * through live instances: the transition from the class's initial map to it is weak. A full GC
 * while no instance lives frees that map, and every optimized function that embedded it is
 * thrown away ("weak objects" in `--trace-deopt`), to be optimized again later. For a class that
 * every decode builds and drops, such as the byte reader, that is every decoder after every full
 * GC between messages: measured on the B3.1 batch merge, cold runs took 3–5 times as long as warm
 * ones. One kept instance makes the next run reuse the map and its optimized code.
 */
export function keepShape(instance: object): void {
  kept.push(instance);
}
