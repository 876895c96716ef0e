import { HeliosProvider } from '@helios/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { client } from './helios';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <HeliosProvider client={client}>
      <App />
    </HeliosProvider>
  </StrictMode>,
);
