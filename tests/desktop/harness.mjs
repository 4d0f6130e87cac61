// Shared by the desktop tests: Xvfb, tauri-driver (or WebKitWebDriver), the
// built desktop app on a fresh project with its own AIRLOCK_HOME, and a small
// WebDriver client over fetch (no client library).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { REPO, WAIT_MS, makeProject, waitUntil } from '../browser/helpers.mjs';

export const APP = process.env.AIRLOCK_DESKTOP_BIN || join(REPO, 'target', 'debug', 'airlock-desktop');
const onPath = (cmd) => cmd.includes('/') ? existsSync(cmd) : spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd]).status === 0;
const DRIVER = process.env.TAURI_DRIVER || 'tauri-driver';
// tauri-driver only turns `tauri:options` into WebKitGTK's own options and proxies to
// WebKitWebDriver. Without it (or with AIRLOCK_WEBDRIVER=webkit), talk to WebKitWebDriver directly.
const DIRECT =
  process.env.AIRLOCK_WEBDRIVER === 'webkit' || (!process.env.TAURI_DRIVER && !onPath(DRIVER) && onPath('WebKitWebDriver'));
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
export const ENTER = '\uE007';

// ---------- processes ----------

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function freeDisplay() {
  for (let n = 99; n < 199; n++) {
    if (!existsSync(`/tmp/.X11-unix/X${n}`) && !existsSync(`/tmp/.X${n}-lock`)) return n;
  }
  throw new Error('no free X display between :99 and :198');
}

/** Every process below `pid`, read from /proc (children first found, deepest last). */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ends a process we started and everything below it: its process group (it was
 * spawned detached, so it leads one) and, in case a child made its own group,
 * each descendant by pid. SIGTERM first, SIGKILL after 3 s.
 */
async function killTree(child, { group = true } = {}) {
  if (!child?.pid) return;
  const pids = [child.pid, ...descendants(child.pid)];
  const signal = (sig) => {
    if (group) {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // group gone
      }
    }
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  if (pids.some(alive)) signal('SIGKILL');
}

/** Ends the app processes (by executable) below `pid`: what a failed session start left. */
async function killApps(pid) {
  const app = realpathSync(APP);
  for (const p of descendants(pid)) {
    let exe;
    try {
      exe = readlinkSync(`/proc/${p}/exe`);
    } catch {
      continue;
    }
    if (exe === app) await killTree({ pid: p }, { group: false });
  }
}

function startProcess(cmd, args, env) {
  const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d) => {
    log = (log + d).slice(-6000);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  child.on('error', (err) => keep(`\n[spawn error] ${err.message}\n`));
  return { child, log: () => log };
}

// ---------- WebDriver over fetch ----------

export class WebDriver {
  constructor(base) {
    this.base = base;
    this.session = null;
  }

  async raw(method, path, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(WAIT_MS),
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
    }
    if (!res.ok || json?.value?.error) {
      const v = json?.value ?? {};
      const err = new Error(`${method} ${path}: ${v.error ?? res.status}: ${v.message ?? text.slice(0, 300)}`);
      err.webdriver = v.error;
      throw err;
    }
    return json.value;
  }

  cmd(method, path, body) {
    return this.raw(method, `/session/${this.session}${path}`, body);
  }

  async find(css) {
    const found = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return found.map((e) => e[ELEMENT]);
  }

  /** Waits for a visible match of `css`; `what` says what was not seen. */
  async see(css, what, ms = WAIT_MS) {
    return waitUntil(what, async () => {
      for (const el of await this.find(css)) {
        if (await this.cmd('GET', `/element/${el}/displayed`).catch(() => true)) return el;
      }
      return null;
    }, ms);
  }

  async gone(css, what, ms = WAIT_MS) {
    await waitUntil(what, async () => (await this.find(css)).length === 0, ms);
  }

  click(el) {
    return this.cmd('POST', `/element/${el}/click`, {});
  }

  /**
   * Clicks the first visible match of `css` once there is one. The page may
   * draw that part again between finding and clicking (a reloaded page does,
   * once it has the engine's state): a click that fails is tried again on a
   * fresh lookup until `ms` runs out.
   */
  press(css, what, ms = WAIT_MS) {
    return waitUntil(what, async () => {
      await this.click(await this.see(css, what, 0));
      return true;
    }, ms);
  }

  type(el, text) {
    return this.cmd('POST', `/element/${el}/value`, { text, value: [...text] });
  }

  exec(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Keys to whatever has focus, through the Actions API. */
  async keys(text) {
    const actions = [];
    for (const ch of text) actions.push({ type: 'keyDown', value: ch }, { type: 'keyUp', value: ch });
    await this.cmd('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] });
    await this.cmd('DELETE', '/actions').catch(() => {});
  }
}

// ---------- the window ----------

/**
 * The desktop app opened on a fresh project (`makeProject(prefix, files)`),
 * under a private Xvfb unless DISPLAY is set, through a WebDriver session.
 * Returns `{ wd, tmp, logs, close }`; `logs()` is the tail of the driver's and
 * Xvfb's output, for failure messages; `close()` ends the session and every
 * process started here. A start that fails ends what it had started.
 */
export async function launchWindow(prefix, files = {}) {
  if (!existsSync(APP)) throw new Error(`${APP} does not exist: build the desktop app or set AIRLOCK_DESKTOP_BIN`);
  if (DIRECT) {
    console.error('# tauri-driver not used: talking to WebKitWebDriver directly');
  } else if (!onPath(DRIVER)) {
    throw new Error(`${DRIVER} is not on PATH: cargo install tauri-driver --locked --version ^2, or set TAURI_DRIVER`);
  }
  let tmp;
  let xvfb;
  let driver;
  let wd;
  let display = process.env.DISPLAY;
  const logs = () =>
    [driver ? `--- tauri-driver ---\n${driver.log()}` : '', xvfb ? `--- Xvfb ---\n${xvfb.log()}` : ''].filter(Boolean).join('\n');
  const close = async () => {
    if (wd?.session) await wd.raw('DELETE', `/session/${wd.session}`).catch(() => {});
    await killTree(driver?.child);
    await killTree(xvfb?.child);
    await tmp?.cleanup();
  };

  try {
    tmp = await makeProject(prefix, files);

    if (!display) {
      const n = freeDisplay();
      display = `:${n}`;
      xvfb = startProcess('Xvfb', [display, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], process.env);
      await waitUntil(`Xvfb on ${display}`, () => existsSync(`/tmp/.X11-unix/X${n}`) || xvfb.child.exitCode !== null, 10_000);
      if (xvfb.child.exitCode !== null) throw new Error(`Xvfb exited with ${xvfb.child.exitCode}\n${xvfb.log()}`);
    }

    const port = await freePort();
    const nativePort = await freePort();
    const env = {
      ...process.env,
      DISPLAY: display,
      AIRLOCK_HOME: tmp.home,
      SHELL: '/bin/bash',
      WEBKIT_DISABLE_DMABUF_RENDERER: '1',
      // What tauri-driver sets for the app: Tauri 2 turns on the webview's automation
      // mode from TAURI_WEBVIEW_AUTOMATION (TAURI_AUTOMATION is Tauri 1's name).
      TAURI_AUTOMATION: 'true',
      TAURI_WEBVIEW_AUTOMATION: 'true',
    };
    driver = DIRECT
      ? startProcess('WebKitWebDriver', [`--port=${port}`], env)
      : startProcess(DRIVER, ['--port', String(port), '--native-port', String(nativePort)], env);
    wd = new WebDriver(`http://127.0.0.1:${port}`);
    await waitUntil('tauri-driver answering /status', async () => {
      if (driver.child.exitCode !== null) throw new Error(`tauri-driver exited with ${driver.child.exitCode}`);
      await fetch(`${wd.base}/status`, { signal: AbortSignal.timeout(2000) });
      return true;
    });

    // About 1 in 9 session starts dies with "connection reset": try again.
    const capabilities = {
      alwaysMatch: DIRECT
        ? { 'webkitgtk:browserOptions': { binary: APP, args: [tmp.project] } }
        : { browserName: 'wry', 'tauri:options': { application: APP, args: [tmp.project] } },
    };
    let lastErr;
    for (let attempt = 1; attempt <= 5 && !wd.session; attempt++) {
      try {
        const value = await wd.raw('POST', '/session', { capabilities });
        wd.session = value.sessionId;
      } catch (err) {
        lastErr = err;
        console.error(`# session attempt ${attempt} failed: ${err.message}${err.cause ? ` (${err.cause.code ?? err.cause})` : ''}`);
        // An app left from the failed attempt would hold the project's engine lock.
        await killApps(driver.child.pid);
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
    if (!wd.session) throw new Error(`no WebDriver session after 5 attempts: ${lastErr?.message}\n${logs()}`);

    await waitUntil(`the project path ${tmp.project} in the window`, async () => {
      const text = await wd.exec(`const e = document.querySelector('[data-testid="project-path"]'); return e ? e.textContent : null;`);
      return text === tmp.project;
    });
  } catch (err) {
    const message = `${err?.message ?? err}\n${logs()}`;
    await close();
    throw new Error(message, { cause: err });
  }
  return { wd, tmp, logs, close };
}

/** The texts of the error banners in the window (none is expected). */
export function errorBanners(wd) {
  return wd.exec(`return [...document.querySelectorAll('[data-testid="error-banner"]')].map((e) => e.textContent);`);
}
