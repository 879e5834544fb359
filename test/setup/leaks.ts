// Every test file: a test that leaves a Steward started, a SQLite store open or a thread pool
// running fails (and the resource is closed), so nothing leaks into the next test.
import { afterEach, beforeEach } from 'vitest';
import { leakCheck } from '../../src/testing/index.js';

leakCheck({ beforeEach, afterEach });
