import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OPTIONS } from '../src/config.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const envExample = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');

test('README › the first screen gives the start command and the test command', () => {
  const firstScreen = readme.split('\n').slice(0, 25).join('\n');
  assert.match(firstScreen, /^# Boutique$/m);
  assert.match(firstScreen, /npm ci && npm start/);
  assert.match(firstScreen, /^npm test\b/m);
});

test('README and .env.example › list every configuration variable', () => {
  for (const option of Object.values(OPTIONS)) {
    assert.ok(readme.includes('`' + option.env + '`'), `README lacks ${option.env}`);
    assert.match(envExample, new RegExp(`^#? ?${option.env}=`, 'm'), `.env.example lacks ${option.env}`);
  }
});

test('.ci/run › runs exactly the README test command', () => {
  assert.match(ci, /^npm test$/m);
});

test('README › has no unfilled section', () => {
  assert.doesNotMatch(readme, /\b[A-Z]+_SECTION\b|CONFIG_TABLE/);
});
