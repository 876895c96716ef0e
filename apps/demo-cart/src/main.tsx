import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import type { RegionConfig } from './regions.js';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
fetch('/config.json')
  .then((res) => res.json() as Promise<{ regions: RegionConfig[] }>)
  .then(({ regions }) =>
    root.render(
      <StrictMode>
        <App regions={regions} />
      </StrictMode>,
    ),
  )
  .catch((err: unknown) => {
    root.render(
      <p className="fatal">Could not read the relay list (/config.json): {String(err)}</p>,
    );
  });
