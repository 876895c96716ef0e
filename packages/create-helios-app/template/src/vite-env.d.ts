/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The relay to sync through, read at build time (e.g. from .env.local). */
  readonly VITE_HELIOS_RELAY_URL?: string;
}
