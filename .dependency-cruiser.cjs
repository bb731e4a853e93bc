// Import rules of h2k (ARCHITECTURE.md): the folder order is the data's path, imports point one way.
// A folder may import its own layer's shared leaves and any layer below it, never one above;
// folders of one layer do not import each other unless listed as allowed. No cycles anywhere.
const LAYERS = [
  ['model', 'util'],
  ['schema', 'tools'],
  ['providers', 'guests', 'render'],
  ['planner', 'outputs'],
  ['executors', 'state'],
  ['operations', 'stages'],
  ['cli', 'commands'],
];
// Same-layer imports that are part of the design (a leaf using another leaf, commands using cli).
const SIBLINGS = {
  model: ['util'],
  util: [],
  schema: ['tools'],
  tools: [],
  commands: ['cli'],
  cli: [],
  planner: ['outputs'],
  operations: ['stages'],
};

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i])));
const above = (f) => [...rank].filter(([, r]) => r > rank.get(f)).map(([g]) => g);
const besides = (f) => LAYERS[rank.get(f)].filter((g) => g !== f && !(SIBLINGS[f] ?? []).includes(g));
const folders = (list) => `^src/(${list.join('|')})/`;

const layerRules = [...rank.keys()].flatMap((f) => {
  const forbidden = [...above(f), ...besides(f)];
  if (forbidden.length === 0) return [];
  return [
    {
      name: `layer-${f}`,
      comment: `src/${f}/ may not import ${forbidden.map((g) => `src/${g}/`).join(', ')} (upward or sideways)`,
      severity: 'error',
      from: { path: `^src/${f}/` },
      to: { path: folders(forbidden) },
    },
  ];
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle between files (and so between folders) hides which layer owns what',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'planner-is-pure',
      comment: 'the planner decides; it spawns no process and touches no disk',
      severity: 'error',
      from: { path: '^src/planner/' },
      to: {
        path: '^(child_process|fs|fs/promises|node:child_process|node:fs|node:fs/promises|execa)$',
        dependencyTypes: ['core', 'npm'],
      },
    },
    {
      name: 'source-drivers-are-sealed',
      comment:
        'a source driver folder imports no other driver folder (shared code: providers/*.ts, providers/disk-chain/)',
      severity: 'error',
      from: { path: '^src/providers/([^/]+)/' },
      to: { path: '^src/providers/[^/]+/', pathNot: ['^src/providers/$1/', '^src/providers/disk-chain/'] },
    },
    {
      name: 'guest-families-are-sealed',
      comment: 'a guest family folder imports no other family folder (Windows stays in guests/windows/)',
      severity: 'error',
      from: { path: '^src/guests/([^/]+)/' },
      to: { path: '^src/guests/[^/]+/', pathNot: ['^src/guests/$1/'] },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
