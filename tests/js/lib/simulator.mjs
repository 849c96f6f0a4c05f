// Starts tributary-sim for a test: writes the scenario to a fresh temp dir, waits for the
// ready file (never a fixed sleep), and stops the process by its pid.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function simulatorBinary() {
  const binary = process.env.TRIBUTARY_SIM_BINARY;
  if (!binary || !existsSync(binary)) {
    throw new Error(`set TRIBUTARY_SIM_BINARY to the tributary-sim executable (got '${binary}')`);
  }
  return binary;
}

export async function startSimulator(scenarioYaml, { timeoutMs = 15000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-sim-js-'));
  const scenario = join(dir, 'scenario.yaml');
  const readyFile = join(dir, 'ready.json');
  writeFileSync(scenario, scenarioYaml);
  const child = spawn(simulatorBinary(), ['--scenario', scenario, '--port', '0', '--ready-file', readyFile], {
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null) throw new Error(`tributary-sim exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`tributary-sim wrote no ready file in ${timeoutMs} ms: ${stderr}`);
    }
    await sleep(20);
  }
  const ready = JSON.parse(readFileSync(readyFile, 'utf8'));
  const stop = async () => {
    if (child.exitCode === null) {
      process.kill(ready.pid, 'SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { ready, stop };
}

// JSON call to an admin endpoint; throws with the body on a non-2xx answer.
export async function admin(url, method = 'GET', body = undefined) {
  const response = await fetch(url, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} -> ${response.status}: ${text}`);
  return JSON.parse(text);
}
