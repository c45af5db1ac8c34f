import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cruise, type IConfiguration, type IViolation } from 'dependency-cruiser';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layering that `npm run lint` enforces (ARCHITECTURE.md): dependency-cruiser with the rules
 * of .dependency-cruiser.mjs for imports, ESLint no-restricted-syntax for raw Engine calls.
 * Each rule is run on fixture files that break it, and on the real src/.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The two config files are plain JavaScript (the tools load them as such): imported by URL, typed here.
const config = (
  (await import(pathToFileURL(join(root, '.dependency-cruiser.mjs')).href)) as { default: IConfiguration }
).default;
const { RAW_ENGINE_CALL_SELECTORS } = (await import(pathToFileURL(join(root, 'eslint.config.js')).href)) as {
  RAW_ENGINE_CALL_SELECTORS: { selector: string; message: string }[];
};

async function violations(baseDir: string): Promise<IViolation[]> {
  const result = await cruise(['src'], {
    ...config.options,
    baseDir,
    validate: true,
    ruleSet: { forbidden: config.forbidden ?? [] },
  });
  if (typeof result.output === 'string') throw new Error('dependency-cruiser returned text, not a result');
  return result.output.summary.violations.filter((v) => v.rule.severity !== 'ignore');
}

const brief = (v: IViolation) => `${v.rule.name}: ${v.from} -> ${v.to}`;

describe('layering: imports (dependency-cruiser)', () => {
  it('reports an upward import, a cycle, dockerode outside src/docker and a folder with no layer', async () => {
    const found = (await violations(join(root, 'test/fixtures/layering'))).map(brief);
    expect(found).toEqual(
      expect.arrayContaining([
        'no-upward-import:stacks: src/stacks/upward.ts -> src/tools/tool.ts',
        'no-circular: src/health/cycleA.ts -> src/health/cycleB.ts',
        expect.stringMatching(
          /^dockerode-only-in-docker: src\/health\/usesDockerode\.ts -> .*node_modules\/dockerode\//,
        ),
        'every-folder-in-a-layer: src/mystery/thing.ts -> src/kernel/errors.ts',
      ]),
    );
    // The allowed imports of the fixture (tools -> stacks, docker -> dockerode) are not reported.
    expect(found.filter((v) => v.startsWith('no-upward-import:tools') || v.includes('src/docker/'))).toEqual([]);
    expect(found).toHaveLength(4);
  }, 120_000);

  it('the real src/ has no violation', async () => {
    expect((await violations(root)).map(brief)).toEqual([]);
  }, 120_000);
});

describe('layering: raw Engine calls (ESLint)', () => {
  const lint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser as Linter.Parser },
        rules: { 'no-restricted-syntax': ['error', ...RAW_ENGINE_CALL_SELECTORS] } as Linter.RulesRecord,
      },
    ],
  });
  const messages = async (code: string) =>
    (await lint.lintText(code, { filePath: join(root, 'src/stacks/fixture.ts') }))[0]?.messages.map((m) => m.message) ??
    [];

  it('reports engine.call with a callback and the raw streaming client, under any name', async () => {
    const found = await messages(`
      export async function f(engine: any, ctx: any) {
        await engine.call('list', (d: any) => d.listContainers());
        await ctx.engine.call('ping', async function (d: any) { return d.ping(); });
        const docker = await this.o.engine.streamingClient();
        return docker;
      }`);
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/Raw Engine call outside src\/docker/);
    expect(found[2]).toMatch(/Raw dockerode client outside src\/docker/);
  });

  it('leaves typed calls and Function.prototype.call alone', async () => {
    const found = await messages(`
      import { listAllContainers } from '../docker/queries.js';
      export async function f(engine: any, g: (x: number) => number) {
        await listAllContainers(engine);
        return g.call(undefined, 1);
      }`);
    expect(found).toEqual([]);
  });

  it('the project config applies the rule to src/ outside src/docker only', async () => {
    const project = new ESLint({ cwd: root });
    const rule = async (file: string) =>
      ((await project.calculateConfigForFile(join(root, file))) as Linter.Config).rules?.['no-restricted-syntax'];
    expect(await rule('src/validation/engineChecks.ts')).toBeDefined();
    expect(await rule('src/docker/queries.ts')).toBeUndefined();
  });
});

describe('layering: type-aware rules (ESLint with type information)', () => {
  it('reports a floating promise, a promise where a callback is expected and a non-exhaustive switch', async () => {
    // The project's own rule settings, over a one-file program (the whole project's takes a minute to build).
    const projectConfig = (await import(pathToFileURL(join(root, 'eslint.config.js')).href)) as {
      default: Linter.Config[];
    };
    const typeAware = projectConfig.default.find((c) => c.rules?.['@typescript-eslint/no-floating-promises']);
    const fixture = join(root, 'test/fixtures/layering/typeAware');
    const lint = new ESLint({
      cwd: root,
      ignore: false,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts'],
          plugins: {
            '@typescript-eslint': tseslint.plugin as unknown as NonNullable<Linter.Config['plugins']>[string],
          },
          languageOptions: {
            parser: tseslint.parser as Linter.Parser,
            parserOptions: { project: join(fixture, 'tsconfig.json'), tsconfigRootDir: fixture },
          },
          rules: typeAware?.rules ?? {},
        },
      ],
    });
    const [result] = await lint.lintFiles([join(fixture, 'mistakes.ts')]);
    expect(result?.messages.map((m) => m.ruleId).sort()).toEqual([
      '@typescript-eslint/no-floating-promises',
      '@typescript-eslint/no-misused-promises',
      '@typescript-eslint/switch-exhaustiveness-check',
    ]);
  }, 60_000);
});
