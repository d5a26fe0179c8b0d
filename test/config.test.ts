import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, flagsToEnv, loadConfig } from '../src/config.js';

// Configuration comes from the environment and the same-named flags (PORT ↔ --port), is parsed
// once at boot, and a bad value stops start-up with one line naming the variable.
const failsWith = (env: Record<string, string>, pattern: RegExp) => {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
      assert.match(err.message, pattern);
      assert.equal(err.message.includes('\n'), false, 'one line');
      return true;
    },
  );
};

describe('loadConfig', () => {
  test('loadConfig › with nothing set gives the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, 'sqlite:./data/boutique.db');
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.apiToken, undefined);
    assert.equal(config.allowedOrigins, undefined);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.bodyLimit, 1048576);
  });

  test('loadConfig › reads every SPEC variable from the environment', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://boutique@db/boutique',
      REDIS_URL: 'redis://cache:6379',
      BOUTIQUE_API_TOKEN: 's3cret-of-16-characters',
      ALLOWED_ORIGINS: 'https://shop.example, http://localhost:5173',
      LOG_LEVEL: 'DEBUG',
    });
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.databaseUrl, 'postgres://boutique@db/boutique');
    assert.equal(config.redisUrl, 'redis://cache:6379');
    assert.equal(config.apiToken, 's3cret-of-16-characters');
    assert.deepEqual(config.allowedOrigins, ['https://shop.example', 'http://localhost:5173']);
    assert.equal(config.logLevel, 'debug');
  });

  test('loadConfig › accepts sqlite:<path> and sqlite::memory:', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).databaseUrl, 'sqlite::memory:');
    assert.equal(loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.db' }).databaseUrl, 'sqlite:/tmp/x.db');
  });

  test('loadConfig › PORT=abc fails with one line naming PORT', () => {
    failsWith({ PORT: 'abc' }, /^PORT must be an integer, got "abc"$/);
  });

  test('loadConfig › PORT=70000 fails naming PORT and the range', () => {
    failsWith({ PORT: '70000' }, /^PORT must be between 0 and 65535/);
  });

  test('loadConfig › DATABASE_URL=mysql://x fails with one line naming DATABASE_URL', () => {
    failsWith({ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres:\/\/…, got "mysql:\/\/x"$/);
  });

  test('loadConfig › LOG_LEVEL=loud fails with one line naming LOG_LEVEL and the levels', () => {
    failsWith({ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"$/);
  });

  test('loadConfig › ALLOWED_ORIGINS=not-a-url fails with one line naming ALLOWED_ORIGINS', () => {
    failsWith({ ALLOWED_ORIGINS: 'not-a-url' }, /^ALLOWED_ORIGINS must be a comma-separated list of origins/);
  });

  test('loadConfig › REDIS_URL=http://x fails naming REDIS_URL', () => {
    failsWith({ REDIS_URL: 'http://x' }, /^REDIS_URL /);
  });

  test('loadConfig › a bad value with a line break is still reported on one line', () => {
    failsWith({ LOG_LEVEL: 'loud\nsecond line' }, /^LOG_LEVEL must be one of .*, got "loud\\nsecond line"$/);
  });
});

describe('flags', () => {
  test('--port 4000 › overrides PORT from the environment', () => {
    const env = { PORT: '3000', LOG_LEVEL: 'warn' };
    const config = loadConfig({ ...env, ...flagsToEnv(['--port', '4000']) });
    assert.equal(config.port, 4000);
    assert.equal(config.logLevel, 'warn', 'what no flag names still comes from the environment');
  });

  test('--database-url=… › the --flag=value form works too, for every variable', () => {
    assert.deepEqual(flagsToEnv(['--database-url=sqlite::memory:', '--log-level', 'error', '--api-token', 't', '--allowed-origins=https://a.example']), {
      DATABASE_URL: 'sqlite::memory:',
      LOG_LEVEL: 'error',
      BOUTIQUE_API_TOKEN: 't',
      ALLOWED_ORIGINS: 'https://a.example',
    });
  });

  test('--port abc › a bad flag value fails naming the variable', () => {
    failsWith(flagsToEnv(['--port', 'abc']), /^PORT must be an integer/);
  });

  test('--colour red › an unknown flag is an error naming it', () => {
    assert.throws(() => flagsToEnv(['--colour', 'red']), (err: unknown) => err instanceof ConfigError && /^unknown option --colour/.test(err.message));
  });

  test('--port › a flag without a value is an error naming it', () => {
    assert.throws(() => flagsToEnv(['--port']), (err: unknown) => err instanceof ConfigError && err.message === '--port needs a value');
  });
});
