// The outside corpus (issue 14): `docker compose config` (v2) vs our dry run on public Compose files
// none of which were written here. Prepare OUTSIDE_ROOT (default /tmp/outside) with the trees of
// docker/awesome-compose (in awesome/), compose-spec/compose-go cli/testdata + loader/testdata (in
// go/) and docker/compose pkg/e2e/fixtures (in e2e/), e.g. `git archive HEAD <dirs> | tar -x -C ...`,
// and list.txt: every *compose*.y*ml under awesome/, every .yaml/.yml under go/ and under e2e/ except
// the bridge fixture's expected-* output (138 files at the measured commits). Then, after
// `npm run build`:
//   COMPOSE_BIN=$(bash test/engine28/compose-v2.sh) DOM_CLI=$PWD/dist/cli.js node scripts/compose-outside.mjs
// It prints the ratio, crashes/hangs, objects the run left on the Engine, and every refusal of a
// file Compose accepts; result.json holds the rows.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
const root = process.env.OUTSIDE_ROOT ?? '/tmp/outside';
const bin = process.env.COMPOSE_BIN;
const cli = process.env.DOM_CLI;
const only = process.argv[2];
const files = readFileSync(join(root, 'list.txt'), 'utf8')
  .trim()
  .split('\n')
  .filter((f) => !only || f.includes(only));
const snap = () => ({
  c: execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}']).toString().split('\n'),
  n: execFileSync('docker', ['network', 'ls', '--format', '{{.Name}}']).toString().split('\n'),
  v: execFileSync('docker', ['volume', 'ls', '--format', '{{.Name}}']).toString().split('\n'),
  i: execFileSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']).toString().split('\n'),
});
const before = snap();
const rows = [];
let i = 0;
for (const f of files) {
  i++;
  const path = join(root, f);
  const env = { PATH: process.env.PATH, HOME: '/tmp/outside-home' };
  const c = spawnSync(bin, ['-f', path, 'config', '-q'], { cwd: dirname(path), env, timeout: 60000, encoding: 'utf8' });
  const composeOk = c.status === 0;
  const name = `oc${String(i).padStart(3, '0')}`;
  const t1 = Date.now();
  const o = spawnSync(
    'node',
    [cli, 'call', 'deploy_application_stack', JSON.stringify({ name, file: path, dry_run: true })],
    {
      env: { ...env, DOM_FILE_ROOTS: root, DOM_HISTORY_PATH: ':memory:', DOM_LOG_LEVEL: 'fatal' },
      timeout: 120000,
      encoding: 'utf8',
    },
  );
  const ms = Date.now() - t1;
  let kind = '',
    msg = '';
  if (o.status !== 0) {
    try {
      const j = JSON.parse(o.stdout);
      kind = j.error?.kind ?? '?';
      msg = j.error?.message ?? o.stdout;
    } catch {
      kind = o.signal ? 'HANG/' + o.signal : 'CRASH';
      msg = (o.stdout + o.stderr).slice(0, 400);
    }
  }
  rows.push({
    f,
    composeOk,
    composeErr: composeOk ? '' : (c.stderr || c.stdout || c.signal || '').trim().split('\n').pop().slice(0, 200),
    planned: o.status === 0,
    kind,
    msg: msg.replace(/\s+/g, ' ').slice(0, 300),
    ms,
  });
  process.stderr.write(`${i} ${f} compose=${composeOk} ours=${o.status === 0 ? 'ok' : kind} ${ms}ms\n`);
}
const after = snap();
const leftovers = Object.fromEntries(
  Object.keys(after).map((k) => [k, after[k].filter((x) => x && !before[k].includes(x))]),
);
writeFileSync(join(root, process.env.OUT ?? 'result.json'), JSON.stringify({ rows, leftovers }, null, 1));
const acc = rows.filter((r) => r.composeOk);
const planned = acc.filter((r) => r.planned);
console.log(
  `files ${rows.length}; compose accepts ${acc.length}; we plan ${planned.length} of them (${((100 * planned.length) / acc.length).toFixed(1)}%); we plan overall ${rows.filter((r) => r.planned).length}`,
);
console.log(
  'crash/hang:',
  rows.filter((r) => /CRASH|HANG/.test(r.kind)).map((r) => r.f),
);
console.log('leftovers (all new objects on the shared Engine, check by name):', JSON.stringify(leftovers));
for (const r of acc.filter((r) => !r.planned)) console.log(`REFUSED ${r.f} [${r.kind}] ${r.msg}`);
