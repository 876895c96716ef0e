// The import-cycle check (`npm run check:cycles`), run by .ci/run after the build. It reads the
// built JavaScript in packages/*/dist: TypeScript 7 has no compiler JS API, which
// dependency-cruiser would need to read the sources. Type-only imports are erased from the
// JavaScript, so this sees the imports that run.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Modules that import each other in a circle cannot be understood, tested or moved one ' +
        'without the other (issue #12): let one of them receive what it needs instead.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // Workspace packages resolve through their node_modules links to the other packages' dist,
    // so a cycle across packages is found too; third-party modules are not followed.
    doNotFollow: { path: 'node_modules/(?!@helios/)' },
    exclude: { path: '\\.map$' },
    moduleSystems: ['es6'],
  },
};
