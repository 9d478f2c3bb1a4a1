// Helpers for Confer's end-to-end tests: participants with fake media, what arrived (pixels, tones),
// coturn, extra relays, and accessibility scans. See each module for details.
export * from './participant.js';
export * from './media.js';
export * from './coturn.js';
export * from './relay.js';
export * from './redis.js';
export * from './axe.js';
export { freePort, waitForTcp } from './net.js';
