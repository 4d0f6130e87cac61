// Drives the real `airlock` binary for the agent tests: `airlock serve` with
// Claude Code's offline environment, `airlock run --mode gated -- claude …`,
// and polling of `airlock status --json` / `airlock changes --json`.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import {
  AIRLOCK_BIN,
  CLAUDE_BIN,
  claudeEnv,
  describeRequests,
  gitInit,
  makeTemp,
  terminate,
  waitFor,
  WAIT_MS,
  writeClaudeHome,
} from './helpers.mjs';
import { startMock } from './mock-anthropic.mjs';
import { firstLine } from '../browser/helpers.mjs';

/**
 * process.env without anything that would steer Claude Code or Airlock
 * elsewhere, nor the CI markers a user's desktop does not have: Claude Code's
 * TUI (Ink) draws only its last frame when it sees `CI`, and the sessions
 * here stand for a user's terminal.
 */
export function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // AIRLOCK_EXEC_GATE_LOG stays: it only records what the exec gate decided.
    if (/^(ANTHROPIC_|CLAUDE|AIRLOCK_|DISABLE_|OTEL_|GITHUB_)/.test(k) && k !== 'AIRLOCK_EXEC_GATE_LOG') continue;
    if (/^(CI|CONTINUOUS_INTEGRATION|BUILD_NUMBER|RUN_ID)$/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/**
 * Fails with a clear message when AIRLOCK_BIN is missing or has no
 * `airlock hook` yet (clap's "unrecognized subcommand").
 */
export function requireAirlockHook() {
  if (!existsSync(AIRLOCK_BIN)) {
    throw new Error(`${AIRLOCK_BIN} does not exist: build it (cargo build -p airlock-cli) or set AIRLOCK_BIN`);
  }
  let stderr = '';
  try {
    execFileSync(AIRLOCK_BIN, ['hook', 'claude'], {
      input: '',
      encoding: 'utf8',
      timeout: WAIT_MS,
      env: { ...cleanEnv(), AIRLOCK_HOME: '/nonexistent/airlock-home' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    stderr = String(err.stderr || '');
    if (err.code === 'ETIMEDOUT' || err.signal) {
      throw new Error(`\`airlock hook claude </dev/null\` did not exit within ${WAIT_MS / 1000} s`);
    }
  }
  if (/unrecognized subcommand|invalid value 'claude'|unexpected argument/i.test(stderr)) {
    throw new Error(
      `${AIRLOCK_BIN} has no \`airlock hook claude\` yet (it said: ${stderr.split('\n')[0].trim()}): ` +
        'these tests need the engine side of the Claude Code gate (issue 5); build it, then run them again',
    );
  }
}


/** Creates `project` with `files` (path → text) and commits them in a new git repository. */
export async function writeProject(project, files) {
  await mkdir(project);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(project, path)), { recursive: true });
    await writeFile(join(project, path), text);
  }
  gitInit(project);
}

/**
 * `airlock serve --project P --listen 127.0.0.1:0 ARGS…` with `env`, once it
 * has printed its URL; when it does not get there, `onFail(serve)` cleans up
 * and the error carries its stderr. Returns `{ serve, serveStderr(), cli,
 * ok, json }`: `cli(args)` runs `airlock --project P ARGS` and resolves
 * `{ code, stdout, stderr }`; `ok(args)` fails unless it exits 0 and returns
 * stdout; `json(args)` parses the stdout of `ARGS --json`.
 */
export async function startServe(project, env, { args = [], onFail }) {
  const serve = spawn(AIRLOCK_BIN, ['serve', '--project', project, '--listen', '127.0.0.1:0', ...args], {
    cwd: project,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serveErr = '';
  serve.stderr.setEncoding('utf8');
  serve.stderr.on('data', (d) => {
    serveErr = (serveErr + d).slice(-8000);
  });
  const exited = new Promise((r) => serve.once('exit', (code, signal) => r({ code, signal })));
  try {
    await Promise.race([
      firstLine(serve.stdout, WAIT_MS, 'the URL on the first line of `airlock serve` output'),
      exited.then(({ code, signal }) => {
        throw new Error(`airlock serve exited early (code ${code}, signal ${signal})`);
      }),
    ]);
  } catch (err) {
    await onFail(serve);
    err.message += `\n--- airlock serve stderr ---\n${serveErr}`;
    throw err;
  }
  serve.stdout.resume();

  const cli = (cliArgs, { timeout = WAIT_MS } = {}) =>
    new Promise((resolveRun) => {
      execFile(
        AIRLOCK_BIN,
        ['--project', project, ...cliArgs],
        { env, cwd: project, timeout, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => resolveRun({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  const ok = async (cliArgs) => {
    const r = await cli(cliArgs);
    if (r.code !== 0) throw new Error(`\`airlock ${cliArgs.join(' ')}\` exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  };
  const json = async (cliArgs) => JSON.parse(await ok([...cliArgs, '--json']));
  return { serve, serveStderr: () => serveErr, cli, ok, json };
}

/** Waits until `ctx.changes()` has no pending change at `path`; `ctx.describe()` goes with a failure. */
export async function waitNoPendingChange(ctx, path, what) {
  let last = [];
  await waitFor(
    () => `${what} (no pending change for ${path}; last: ${JSON.stringify(last).slice(0, 1500)})${ctx.describe()}`,
    async () => {
      last = await ctx.changes();
      return !last.some((c) => c.path === path);
    },
  );
}

/**
 * A git project with `files` (path → text) committed, Claude Code's temp HOME
 * (trusting the project), the mock model API with `script`, and `airlock
 * serve --project` running with the environment Claude Code needs (Claude
 * inherits it as a session). Returns a context with CLI helpers; call
 * `ctx.close()` when done.
 */
export async function startAirlock(name, { files = {}, script = [] } = {}) {
  const tmp = await makeTemp(`agent-${name}`);
  const project = join(tmp.root, 'project');
  const airlockHome = join(tmp.root, 'airlock');
  const claudeHome = join(tmp.root, 'home');
  await mkdir(airlockHome);
  await writeProject(project, { 'README.md': '# Demo\n\nA project for the agent tests.\n', ...files });
  await writeClaudeHome(claudeHome, [project]);
  const mock = await startMock(script);

  const env = {
    ...cleanEnv(),
    ...claudeEnv({ home: claudeHome, mockUrl: mock.url }),
    AIRLOCK_HOME: airlockHome,
    SHELL: '/bin/bash',
    RUST_BACKTRACE: '1',
  };
  const { serve, serveStderr, cli, ok, json } = await startServe(project, env, {
    onFail: async (failed) => {
      await terminate(failed);
      await mock.close();
      await tmp.cleanup();
    },
  });

  let lastStatus = null;
  const ctx = {
    tmp,
    project,
    airlockHome,
    claudeHome,
    mock,
    serve,
    env,
    cli,
    ok,
    json,
    serveStderr,
    /** `airlock status --json`, remembered for failure messages. */
    async status() {
      lastStatus = await json(['status']);
      return lastStatus;
    },
    /** `airlock changes --json` → the list of changes. */
    async changes() {
      return (await json(['changes'])).changes;
    },
    /** Everything useful when a wait fails. */
    describe() {
      return (
        `\n--- last airlock status --json ---\n${JSON.stringify(lastStatus, null, 1)?.slice(0, 3000)}` +
        `\n--- model requests the mock saw ---\n${describeRequests(mock)}` +
        `\n--- airlock serve stderr (tail) ---\n${serveStderr().slice(-2000)}`
      );
    },
    /**
     * `airlock run --mode gated -- <abs path of claude> -p PROMPT
     * --output-format stream-json --verbose`; returns the session id.
     */
    async runClaude(prompt, { mode = 'gated' } = {}) {
      const out = await ok([
        'run',
        '--mode',
        mode,
        '--name',
        'claude',
        '--',
        CLAUDE_BIN,
        '-p',
        prompt,
        '--output-format',
        'stream-json',
        '--verbose',
      ]);
      const id = out.trim().split('\n').pop();
      if (!/^s-/.test(id)) throw new Error(`airlock run printed no session id: ${JSON.stringify(out)}`);
      return id;
    },
    /** Waits for a pending change at `path` (relative to the project) matching `pred`. */
    async waitChange(path, what, pred = () => true) {
      let last = [];
      return waitFor(
        () => `${what} (a pending change for ${path} in \`airlock changes --json\`; last: ${JSON.stringify(last).slice(0, 1500)})${ctx.describe()}`,
        async () => {
          last = await ctx.changes();
          await ctx.status().catch(() => {});
          return last.find((c) => c.path === path && pred(c));
        },
      );
    },
    /** Waits until no pending change is at `path`. */
    async waitNoChange(path, what) {
      await waitNoPendingChange(ctx, path, what);
    },
    /** Waits for an action in `airlock status --json` matching `pred`. */
    async waitAction(what, pred) {
      return waitFor(
        () => `${what} (an action in \`airlock status --json\`)${ctx.describe()}`,
        async () => ((await ctx.status()).actions || []).find(pred),
      );
    },
    /** Waits until the mock has seen `n` main requests. */
    async waitMain(n, what) {
      await waitFor(
        () => `${what} (main model request #${n}; the mock saw ${mock.mainRequests.length})${ctx.describe()}`,
        () => mock.mainRequests.length >= n,
      );
      return mock.mainRequests[n - 1];
    },
    /** Waits until session `id` has exited; returns its SessionInfo. */
    async waitExited(id, what = `session ${id} exits`) {
      return waitFor(
        () => `${what}${ctx.describe()}`,
        async () => (await ctx.status()).sessions.find((s) => s.id === id && s.state === 'exited'),
      );
    },
    /**
     * Polls `airlock status --json` every 100 ms and records every action id
     * seen, until `stop()`; returns { seen: Map(id → action), stop }.
     */
    watchActions() {
      const seen = new Map();
      let running = true;
      const loop = (async () => {
        while (running) {
          try {
            const s = await json(['status']);
            for (const a of s.actions || []) if (!seen.has(a.id)) seen.set(a.id, a);
          } catch {
            // the engine may be busy; try again
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      return {
        seen,
        async stop() {
          running = false;
          await loop;
          return seen;
        },
      };
    },
    async close() {
      await terminate(serve);
      await mock.close();
      await tmp.cleanup();
    },
  };
  return ctx;
}

/** The strings in `[permissions] allow = [...]` of a policy.toml text. */
export function policyAllowRules(toml) {
  const section = /^\[permissions\][^\n]*\n([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml);
  if (!section) return [];
  const allow = /^\s*allow\s*=\s*\[([\s\S]*?)\]\s*$/m.exec(section[1]);
  if (!allow) return [];
  const rules = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'/g;
  let m;
  while ((m = re.exec(allow[1]))) rules.push(m[1] !== undefined ? JSON.parse(`"${m[1]}"`) : m[2]);
  return rules;
}
