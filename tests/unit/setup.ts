// IndexedDB for y-indexeddb and the library in Node (vitest).
import 'fake-indexeddb/auto';
