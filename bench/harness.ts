/**
 * For bench/decode.ts: builds the decoding harness (e2e/decode-harness.html, production build), serves it with a
 * tiny static server (correct MIME types, wasm included), and launches Chromium as the e2e tests do.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { chromiumLaunchOptions } from '../e2e/chromium';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const HARNESS_DIST = join(REPO, 'node_modules', '.cache', 'decode-harness');
export const HARNESS_PATH = '/e2e/decode-harness.html';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/** `npx vite build --config e2e/vite.decode.config.ts` (the minified production build). */
export function buildHarness(): void {
  const r = spawnSync('npx', ['vite', 'build', '--config', 'e2e/vite.decode.config.ts', '--logLevel', 'warn'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`vite build of the decode harness failed (exit ${r.status})`);
}

/** Serves `dir` on 127.0.0.1:`port`; resolves once listening. */
export function serveStatic(dir: string, port: number): Promise<Server> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!path.startsWith(root) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(path).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok(server));
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch(chromiumLaunchOptions());
}
