/** How two causal histories relate (of version vectors or causal contexts). */
export type CausalOrder = 'equal' | 'before' | 'after' | 'concurrent';
