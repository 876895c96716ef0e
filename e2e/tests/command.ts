import { spawn } from 'node:child_process';

/**
 * This process's environment without npm's `npm_*` variables: under `npm test` they name this
 * repository (`npm_config_local_prefix`, the workspace), and an `npm install` meant for a project
 * elsewhere would otherwise install into the repository.
 */
export function envOutsideNpm(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
  );
  return { ...env, ...extra };
}

/**
 * Runs a command to its end and returns its stdout. Rejects with everything it printed when it
 * fails or outlives `timeoutMs` (then it is killed).
 */
export function runCommand(
  command: string,
  args: readonly string[],
  {
    cwd,
    timeoutMs,
    env = envOutsideNpm(),
  }: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<string> {
  const line = `${command} ${args.join(' ')} (in ${cwd})`;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${line} took over ${timeoutMs / 1000} s:\n${output}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${line} exited with ${code ?? signal}:\n${output}`));
    });
  });
}
