/**
 * The shape of src/, checked by madge (the dependency-graph tool) on every import, type-only
 * imports included: no cycles, and the layers depend downwards only — storage knows no resource
 * and no transport, repositories know no HTTP, resources know nothing of the live side or the chat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import madge from 'madge';

const graph = await madge('src', {
  fileExtensions: ['ts'],
  tsConfig: 'tsconfig.json',
  detectiveOptions: { ts: { skipTypeImports: false } },
});
const imports: Record<string, string[]> = graph.obj();

test('src/ › has no import cycles, type-only imports included', () => {
  assert.ok(Object.keys(imports).length > 50, 'madge read the sources');
  assert.deepEqual(graph.circular(), []);
});

const offending = (from: RegExp, to: RegExp): string[] =>
  Object.entries(imports).flatMap(([file, deps]) => (from.test(file) ? deps.filter((d) => to.test(d)).map((d) => `${file} → ${d}`) : []));

test('src/store/ › imports nothing from resources, http, live, chat or bus', () => {
  assert.deepEqual(offending(/^store\//, /^(resources|http|live|chat|bus)\//), []);
});

test('repositories › import nothing from http/', () => {
  assert.deepEqual(offending(/^resources\/[^/]+\/repository\.ts$/, /^http\//), []);
});

test('src/resources/ › imports nothing from live/, chat/ or bus/ (the live side reads what resources commit)', () => {
  assert.deepEqual(offending(/^resources\//, /^(live|chat|bus)\//), []);
});

test('src/http/ › imports nothing from resources, live or chat', () => {
  assert.deepEqual(offending(/^http\//, /^(resources|live|chat)\//), []);
});
