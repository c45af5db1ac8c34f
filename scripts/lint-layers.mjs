// `npm run lint:layers`: the layering rules of .dependency-cruiser.mjs checked on src/, through
// dependency-cruiser's API rather than its CLI. The CLI refuses to start on a Node.js it does not
// list (Node 20 included, which these machines have system-wide); the API has no such gate and
// the check itself needs nothing newer, so `npm run lint` runs on any Node that runs ESLint.
import { cruise, format } from 'dependency-cruiser';
import config from '../.dependency-cruiser.mjs';

const result = await cruise(['src'], { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden } });
const report = await format(result.output, { outputType: 'err' });
process.stdout.write(report.output);
process.exitCode = report.exitCode;
