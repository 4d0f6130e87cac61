// Shared by the browser and desktop tests: a real git project in a temp folder,
// the real `airlock serve`, Debian's chromium through playwright-core, and waits
// that fail with a message saying what was not seen.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const AIRLOCK_BIN = process.env.AIRLOCK_BIN || join(REPO, 'target', 'debug', 'airlock');
export const SCREENSHOTS = process.env.AIRLOCK_SCREENSHOTS === '1';
export const ASSETS = join(REPO, 'assets');
/** The longest any single wait may take. */
export const WAIT_MS = 15_000;

export const README = '# Demo project\n\nA small project for Airlock tests.\nIt has a few lines.\n';

/**
 * A temp folder with `project/` (a git repository with one commit holding
 * README.md and `files`, path → text) and `home/` (for AIRLOCK_HOME). `cleanup()` removes it unless
 * AIRLOCK_KEEP_TMP=1.
 */
export async function makeProject(prefix, files = {}) {
  const root = await mkdtemp(join(tmpdir(), `airlock-${prefix}-`));
  const project = join(root, 'project');
  const home = join(root, 'home');
  await mkdir(project);
  await mkdir(home);
  const git = (...args) => execFileSync('git', args, { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@airlock.invalid');
  git('config', 'user.name', 'Airlock Test');
  git('config', 'commit.gpgsign', 'false');
  await writeFile(join(project, 'README.md'), README);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(project, name)), { recursive: true });
    await writeFile(join(project, name), text);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return {
    root,
    project,
    home,
    async cleanup() {
      if (process.env.AIRLOCK_KEEP_TMP === '1') {
        console.error(`# kept ${root}`);
        return;
      }
      await rm(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** Reads one line from a stream, or rejects after `ms`. */
export function firstLine(stream, ms, what) {
  return new Promise((resolveLine, reject) => {
    let buf = '';
    const timer = setTimeout(() => done(new Error(`not seen within ${ms / 1000} s: ${what}`)), ms);
    const onData = (chunk) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(null, buf.slice(0, nl).trim());
    };
    const onEnd = () => done(new Error(`stream ended before ${what}; got ${JSON.stringify(buf)}`));
    const done = (err, line) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      if (err) reject(err);
      else resolveLine(line);
    };
    stream.setEncoding('utf8');
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}

/** Sends SIGTERM, then SIGKILL after 3 s; resolves once the child is gone. */
export function terminate(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit();
    });
    try {
      child.kill('SIGTERM');
    } catch {
      clearTimeout(timer);
      resolveExit();
    }
  });
}

/**
 * Starts `airlock serve` for `project` on a free loopback port. Its first line
 * of stdout is the URL with the token.
 */
export async function startEngine({ project, home }) {
  if (!existsSync(AIRLOCK_BIN)) {
    throw new Error(`${AIRLOCK_BIN} does not exist: build it (cargo build) or set AIRLOCK_BIN`);
  }
  const child = spawn(AIRLOCK_BIN, ['serve', '--project', project, '--listen', '127.0.0.1:0'], {
    cwd: project,
    env: { ...process.env, AIRLOCK_HOME: home, SHELL: '/bin/bash', RUST_BACKTRACE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-8000);
  });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  let line;
  try {
    line = await Promise.race([
      firstLine(child.stdout, WAIT_MS, 'the URL on the first line of `airlock serve` output'),
      exited.then(({ code, signal }) => {
        throw new Error(`airlock serve exited early (code ${code}, signal ${signal})`);
      }),
    ]);
  } catch (err) {
    await terminate(child);
    err.message += `\n--- airlock serve stderr ---\n${stderr}`;
    throw err;
  }
  // Keep draining stdout so the engine never blocks on a full pipe.
  child.stdout.resume();
  const match = /^(https?:\/\/127\.0\.0\.1:\d+)\/?\?token=([^\s&#]+)/.exec(line);
  if (!match) {
    await terminate(child);
    throw new Error(`the first line of airlock serve was not a URL with a token: ${JSON.stringify(line)}`);
  }
  return {
    url: line,
    origin: match[1],
    token: decodeURIComponent(match[2]),
    child,
    stderr: () => stderr,
    stop: () => terminate(child),
  };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Debian's chromium, headless, with a fresh profile that is removed on close. */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'airlock-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    colorScheme: process.env.AIRLOCK_COLOR_SCHEME === 'light' ? 'light' : 'dark',
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** Polls `probe` until it returns a truthy value; fails with `what` after `ms`. */
export async function waitUntil(what, probe, ms = WAIT_MS, every = 100) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`not seen within ${ms / 1000} s: ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

/** The median of the finite numbers in `xs` (the mean of the middle two for an even count); NaN for none. */
export function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.floor(s.length / 2)]) / 2;
}

/** Reads a file, or null when it is not there. */
export async function readOrNull(path) {
  try {
    return await readFile(path);
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
}

export async function saveScreenshot(name, png) {
  await mkdir(ASSETS, { recursive: true });
  const path = join(ASSETS, name);
  await writeFile(path, png);
  console.error(`# screenshot: ${path}`);
  return path;
}

export const AGENT = 'bash --norc --noprofile';

/**
 * One engine, one project and one page for a test, all closed when the test
 * ends. `files` are committed into the project first; `init` runs in the page
 * before the app (to seed localStorage, say).
 */
export async function openPage(t, browser, name, { files = {}, viewport, init } = {}) {
  const tmp = await makeProject(name, files);
  t.after(() => tmp.cleanup());
  const engine = await startEngine(tmp);
  t.after(() => engine.stop());
  const page = await browser.context.newPage();
  t.after(() => page.close().catch(() => {}));
  if (viewport) await page.setViewportSize(viewport);
  if (init) await page.addInitScript(init);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });

  /** Builds the failure message: what was not seen, and what the page and engine said. */
  const explain = async (what) => {
    const banners = await page
      .locator('[data-testid="error-banner"]')
      .allInnerTexts()
      .catch(() => []);
    return [
      `not seen within ${WAIT_MS / 1000} s: ${what}`,
      banners.length ? `error banners: ${JSON.stringify(banners)}` : '',
      pageErrors.length ? `page errors: ${JSON.stringify(pageErrors.slice(-5))}` : '',
      `engine stderr (tail):\n${engine.stderr().slice(-2000)}`,
    ]
      .filter(Boolean)
      .join('\n');
  };
  const see = async (locator, what, state = 'visible') => {
    try {
      await locator.waitFor({ state, timeout: WAIT_MS });
    } catch {
      throw new Error(await explain(what));
    }
    return locator;
  };
  /** Waits until `probe` is truthy, failing with what the page and engine said. */
  const until = async (what, probe) => {
    try {
      return await waitUntil(what, probe);
    } catch (err) {
      throw new Error(`${err.message}\n${await explain(what)}`);
    }
  };
  const terminalText = () => page.locator('[data-testid="terminal"] .xterm-rows').innerText();
  const seeInTerminal = async (what, test) => {
    try {
      await waitUntil(what, async () => test(await terminalText()));
    } catch {
      throw new Error(await explain(`${what} in the terminal; it shows:\n${await terminalText().catch(() => '?')}`));
    }
  };

  await page.goto(engine.url);
  await see(page.locator('[data-testid="project-path"]', { hasText: tmp.project }), `the project path ${tmp.project} in the top bar`);

  /** Starts `bash` in a staged session and waits for its prompt. */
  const startAgent = async () => {
    await page.getByTestId('new-session-command').fill(AGENT);
    await page.getByTestId('new-session-start').click();
    await see(page.locator('[data-testid="session-item"][data-state="running"]'), 'a running session in the sidebar');
    await see(page.getByTestId('terminal'), 'the terminal of the new session');
    await seeInTerminal('the bash prompt', (text) => /[$#]\s*$/m.test(text));
  };

  /** Types a line into the selected session's terminal. */
  const typeLine = async (line) => {
    await page.getByTestId('terminal').click();
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
  };

  /** Reads a project file as text (null when absent). */
  const projectText = async (rel) => (await readOrNull(join(tmp.project, rel)))?.toString('utf8') ?? null;

  /** Waits until project file `rel` holds exactly `text` (null: absent). */
  const seeProjectFile = (rel, text) =>
    until(`${rel} in the project holding ${JSON.stringify(text)}`, async () => (await projectText(rel)) === text);

  return { tmp, engine, page, see, until, seeInTerminal, startAgent, typeLine, explain, projectText, seeProjectFile, pageErrors };
}
