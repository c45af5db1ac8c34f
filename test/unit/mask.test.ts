import { afterEach, describe, expect, it } from 'vitest';
import {
  isSecretName,
  MASK,
  maskAnswer,
  maskEnvList,
  maskRecord,
  maskText,
  maskValue,
  setKnownSecrets,
} from '../../src/util/mask.js';

const GHP = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

describe('isSecretName: case and separators normalised', () => {
  it.each([
    'password',
    'DB_PASSWORD',
    'PGPASSWORD',
    'MYSQL_PWD',
    'mysql-pwd',
    'REDIS_PASS',
    'REDISCLI_AUTH',
    'db.password',
    'dbPassword',
    'api_key',
    'apiKey',
    'APIKEY',
    'X-Api-Key',
    'ACCESS_KEY',
    'AWS_SECRET_ACCESS_KEY',
    'private_key',
    'SSH_KEY',
    'GITHUB_TOKEN',
    'authToken',
    'CREDENTIALS',
    'client_secret',
    'GITHUB_PAT',
    'CONNECTION_STRING',
    'SENTRY_DSN',
    'Authorization',
    'requirepass',
  ])('%s is secret', (name) => expect(isSecretName(name)).toBe(true));

  it.each([
    'PATH',
    'HOME',
    'KEYBOARD',
    'MONKEY',
    'AUTHOR',
    'PASSED',
    'COMPASS',
    'TOKENIZER_MODEL',
    'KEYCLOAK_URL',
    'PORT',
    'com.docker.compose.project',
  ])('%s is not', (name) => expect(isSecretName(name)).toBe(false));
});

describe('maskValue: by name, then by value', () => {
  it.each([
    ['DB_PASSWORD', 'x', MASK],
    ['MYSQL_PWD', 'hunter2', MASK],
    ['GITHUB_PAT', GHP, MASK],
    ['PATH', '/usr/bin', '/usr/bin'],
    ['PASSWORD_FILE', '/run/secrets/db', '/run/secrets/db'],
    ['SSH_KEY_PATH', './keys/id', './keys/id'],
    ['PASSWORD_FILE', 'hunter2', MASK],
    ['EMPTY_TOKEN', '', ''],
    ['DATABASE_URL', 'postgres://app:s3cret@db/app', `postgres://app:${MASK}@db/app`],
    ['REDIS_URL', 'redis://:s3cret@cache:6379/0', `redis://:${MASK}@cache:6379/0`],
    ['STRIPE_SK', 'sk_live_51HxYzAbCdEfGhIjKl', `sk_live_${MASK}`],
    [
      'CONFIG',
      'Server=db;Database=app;User Id=sa;Password=Pa55word;',
      `Server=db;Database=app;User Id=sa;Password=${MASK};`,
    ],
    [
      'JDBC_URL',
      'jdbc:mysql://db:3306/app?user=app&password=s3cret&ssl=true',
      `jdbc:mysql://db:3306/app?user=app&password=${MASK}&ssl=true`,
    ],
  ])('%s=%s -> %s', (name, value, masked) => expect(maskValue(name, value)).toBe(masked));
});

describe('maskText: secrets by value in free text', () => {
  it.each([
    [`token ${GHP} here`, `token ghp_${MASK} here`],
    ['gho_abcdefghijklmnop1234 ghs_abcdefghijklmnop1234', `gho_${MASK} ghs_${MASK}`],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', `github_pat_${MASK}`],
    ['key rk_live_abcdefgh12345678 and sk_test_abcdefgh1234', `key rk_live_${MASK} and sk_test_${MASK}`],
    ['slack xoxb-1234567890-abcdefghij', `slack xoxb-${MASK}`],
    ['AKIAIOSFODNN7EXAMPLE is an access key id', `AKIA${MASK} is an access key id`],
    [`jwt=${JWT}`, `jwt=${MASK}`],
    ['Authorization: Bearer abcdefghijklmnop.qrstuv', `Authorization: Bearer ${MASK}`],
    ['curl -H "Authorization: Basic dXNlcjpwYXNzd29yZA=="', `curl -H "Authorization: Basic ${MASK}"`],
    [
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----\nafter',
      `-----BEGIN RSA PRIVATE KEY-----\n${MASK}\n-----END RSA PRIVATE KEY-----\nafter`,
    ],
    ['-----BEGIN PRIVATE KEY-----\nMIIEvQ truncated', `-----BEGIN PRIVATE KEY-----\n${MASK}\n`],
    ['connecting to mongodb://admin:pw123@mongo:27017', `connecting to mongodb://admin:${MASK}@mongo:27017`],
    ['MYSQL_PWD=hunter2 mysql -u root', `MYSQL_PWD=${MASK} mysql -u root`],
    ['export API_KEY="two words"', `export API_KEY="${MASK}"`],
    ['{"password":"x1","user":"bob"}', `{"password":"${MASK}","user":"bob"}`],
    ['db password: hunter2', `db password: ${MASK}`],
    ['redis-server --requirepass hunter2 --port 6379', `redis-server --requirepass ${MASK} --port 6379`],
    ['mysqld --password=hunter2', `mysqld --password=${MASK}`],
    ['Data Source=x;pwd=abc;', `Data Source=x;pwd=${MASK};`],
  ])('%s', (input, output) => expect(maskText(input)).toBe(output));

  it.each([
    'image registry.example:5000/secret-app:1.2 pulled',
    'PASSWORD_FILE=/run/secrets/db_password',
    'listening on http://0.0.0.0:8080/',
    'container web-1 is running (healthy)',
    'sha256:0123456789abcdef0123456789abcdef',
    'https://user@example.com/path',
    'pass cursor "abc" for more',
    'the key is in the vault',
    'ghp_short',
    '--token-file /etc/dom/token',
  ])('leaves alone: %s', (text) => expect(maskText(text)).toBe(text));
});

describe('structures', () => {
  it('maskEnvList masks by name and by value', () => {
    expect(maskEnvList(['A=1', 'MY_SECRET=abc', 'EMPTY_TOKEN=', `URL=https://u:p4ss@h/`])).toEqual([
      'A=1',
      `MY_SECRET=${MASK}`,
      'EMPTY_TOKEN=',
      `URL=https://u:${MASK}@h/`,
    ]);
  });

  it('maskAnswer keeps shape and types, judges user keys by name and own fields by value only', () => {
    const answer = {
      name: 'web',
      credentials: 'environment',
      labels: { 'app.db.password': 'x', tier: 'web', 'api-key': 'k' },
      cmd: ['mysqld', '--password', 'hunter2', 'MYSQL_PWD=p'],
      restartCount: 3,
      auth: { username: 'bob', port: 5 },
      stdout: `login with ${GHP}\n`,
    };
    expect(maskAnswer(answer, new Set(['name', 'credentials', 'labels', 'cmd', 'restartCount', 'stdout']))).toEqual({
      name: 'web',
      credentials: 'environment',
      labels: { 'app.db.password': MASK, tier: 'web', 'api-key': MASK },
      cmd: ['mysqld', '--password', MASK, `MYSQL_PWD=${MASK}`],
      restartCount: 3,
      auth: { username: MASK, port: 5 },
      stdout: `login with ghp_${MASK}\n`,
    });
  });

  it('maskRecord drops whole secret-named values and masks errors', () => {
    const err = new Error(`connect failed for redis://:s3cret@cache:6379`);
    const out = maskRecord({
      inputs: { env: { DB_PASSWORD: 'p' }, auth: { user: 'u', n: 1 }, port: 80 },
      err,
    }) as Record<string, Record<string, unknown>>;
    expect(out.inputs).toEqual({ env: { DB_PASSWORD: MASK }, auth: MASK, port: 80 });
    expect(out.err?.message).toBe(`connect failed for redis://:${MASK}@cache:6379`);
    expect(String(out.err?.stack)).not.toContain('s3cret');
  });
});

describe("the server's own secrets", () => {
  afterEach(() => setKnownSecrets([]));

  it('are masked verbatim anywhere', () => {
    setKnownSecrets(['my-http-token-0123456789', 'regpass123', undefined, 'abc']);
    expect(maskText('sent my-http-token-0123456789 and regpass123 but abc stays')).toBe(
      `sent ${MASK} and ${MASK} but abc stays`,
    );
  });
});

describe('secret variables remembered by value', () => {
  it('values of secret-named variables are masked wherever they appear, short ones and harmless names are not', async () => {
    const { rememberSecretVariables } = await import('../../src/util/mask.js');
    rememberSecretVariables({
      DB_PASSWORD: 'Tr0ub4dor-x9',
      API_TOKEN: 'abc',
      GREETING: 'hello-world-1',
      PASSWORD_FILE: '/run/secrets/db',
    });
    expect(maskText('image dom-test/nope-Tr0ub4dor-x9:1 not found')).toBe(`image dom-test/nope-${MASK}:1 not found`);
    expect(maskText(Buffer.from('Tr0ub4dor-x9').toString('base64'))).not.toContain(
      Buffer.from('Tr0ub4dor-x9').toString('base64').replace(/=+$/, ''),
    );
    expect(maskText('abc hello-world-1 /run/secrets/db')).toBe('abc hello-world-1 /run/secrets/db');
  });
});
