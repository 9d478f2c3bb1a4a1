/**
 * Limits a person running their own Confer may want to change. They apply on each device; a peer's
 * messages are read through these limits too (a file message above the maximum is not shown).
 */

/** Largest file that can be sent in chat, or received (bytes): 2 GiB. */
export const MAX_FILE_SIZE = 2 * 1024 ** 3;

/** Images up to this size (bytes, 10 MB) are fetched as soon as they are posted and shown inline. */
export const PREVIEW_MAX_BYTES = 10 * 1000 ** 2;

/**
 * Room kept free on the device when receiving a file (bytes, 64 MiB): the browser's storage
 * estimate is approximate, and the meeting's own data needs room too.
 */
export const STORAGE_MARGIN = 64 * 1024 ** 2;
