// The layering of src/, as rules that `npm run lint` enforces (dependency-cruiser).
// ARCHITECTURE.md draws the same table; change both together.

/**
 * Layers from top to bottom, and in each the folders (or top-level files) from top to bottom.
 * A module may import its own folder and any folder listed after its own: imports point down,
 * and since the order is total, no two folders can import each other (no folder cycles).
 * @type {ReadonlyArray<{ layer: string; folders: readonly string[] }>}
 */
export const LAYERS = [
  { layer: 'entry', folders: ['cli.ts', 'transports', 'server.ts'] },
  { layer: 'mcp', folders: ['tools', 'resources', 'tasks'] },
  { layer: 'app', folders: ['app'] },
  { layer: 'validation', folders: ['validation'] },
  { layer: 'policy', folders: ['policy'] },
  { layer: 'domain', folders: ['health', 'swarm', 'stacks', 'history'] },
  { layer: 'docker', folders: ['docker'] },
  { layer: 'kernel', folders: ['config.ts', 'config', 'logger.ts', 'version.ts', 'util', 'kernel'] },
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The path pattern of a folder ("tools" -> src/tools/...) or top-level file ("cli.ts"). */
function pathOf(folder) {
  return folder.endsWith('.ts') ? `^src/${escape(folder)}$` : `^src/${escape(folder)}/`;
}

const ORDER = LAYERS.flatMap(({ layer, folders }) => folders.map((folder) => ({ layer, folder })));

/** One rule per folder: it may not import any folder above it. */
const upwardRules = ORDER.slice(1).map(({ layer, folder }, i) => {
  const above = ORDER.slice(0, i + 1);
  return {
    name: `no-upward-import:${folder}`,
    comment: `src/${folder} (layer ${layer}) imports only folders below it; it may not import ${above.map((a) => a.folder).join(', ')}.`,
    severity: 'error',
    from: { path: pathOf(folder) },
    to: { path: above.map((a) => pathOf(a.folder)) },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...upwardRules,
    {
      name: 'no-circular',
      comment: 'A module may not reach itself through its imports (type-only imports included).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'dockerode-only-in-docker',
      comment:
        'src/docker is the only door to the Engine: nothing else imports dockerode or docker-modem (types included).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/docker/' },
      to: { path: '(^|/)node_modules/(@types/)?(dockerode|docker-modem)/' },
    },
    {
      name: 'every-folder-in-a-layer',
      comment: 'Every folder of src/ has a place in LAYERS (.dependency-cruiser.mjs) and ARCHITECTURE.md.',
      severity: 'error',
      from: { path: '^src/', pathNot: ORDER.map((o) => pathOf(o.folder)) },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    // Type-only imports are dependencies too: a type from a higher layer couples as much as a value.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
