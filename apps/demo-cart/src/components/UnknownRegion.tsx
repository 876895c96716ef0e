import type { RegionConfig } from '../regions.js';

/** `?region=` named a region no relay serves: say so, rather than quietly using another one. */
export function UnknownRegion({
  region,
  regions,
}: {
  region: string;
  regions: readonly RegionConfig[];
}) {
  return (
    <div className="page unknown-region" role="alert" data-testid="unknown-region">
      <h1>There is no region “{region}”</h1>
      <p>
        This demo runs {regions.length} regions. Pick the one this tab should call home; the others
        take over when it is unreachable.
      </p>
      <ul>
        {regions.map(({ region: name }) => (
          <li key={name}>
            <a href={`?region=${encodeURIComponent(name)}`}>{name}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}
