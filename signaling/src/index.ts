export { ConfigError, DEFAULT_LIMITS, describeLimits, loadConfig } from './config.js';
export type { Env, IceTransportPolicy, RelayConfig, RelayLimits } from './config.js';
export { buildClientConfig, mintTurnCredential } from './ice.js';
export type { ClientConfig, IceServer, TurnCredential } from './ice.js';
export { createRelay, SHUTDOWN_GRACE_MS } from './relay.js';
export type { Relay } from './relay.js';
export { encodeTextFrame } from './frame.js';
export type { Protocol, RejectReason, RelayGauges } from './stats.js';
