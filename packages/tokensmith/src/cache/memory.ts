/**
 * The in-process cache lives in the core (the manager's default); re-exported here so every cache is
 * found under `cache/`.
 * @module
 */
export { MemoryCache } from '../core/memory-cache.js';
