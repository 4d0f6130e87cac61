// Drives the real `airlock` binary for the ACP agent tests: `airlock serve`
// with an agent's offline environment and a temp HOME, `airlock run --acp`,
// `airlock prompt` in the background (it waits for the turn's end), and
// polling of `airlock status --json`, `changes --json` and `transcript --json`.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { cleanEnv, startServe, waitNoPendingChange, writeProject } from './airlock.mjs';
import { AIRLOCK_BIN, makeTemp, REPO, terminate, waitFor } from './helpers.mjs';

/** node_modules/.bin, where the agents' commands are. */
export const NPM_BIN = join(REPO, 'node_modules', '.bin');

/** Fails saying what to do when `airlock` or the agent's command is missing. */
export function requireBins(...names) {
  if (!existsSync(AIRLOCK_BIN)) {
    throw new Error(`${AIRLOCK_BIN} does not exist: build it (cargo build -p airlock-cli) or set AIRLOCK_BIN`);
  }
  for (const name of names) {
    const path = join(NPM_BIN, name);
    if (!existsSync(path)) throw new Error(`${path} does not exist: run \`npm ci\` at the repository root`);
  }
}

/**
 * The pids of processes whose environment holds `HOME=home`: the agents a
 * test's engine started (each test has its own temp HOME), so that nothing
 * outlives a test even when `airlock serve` had to be killed.
 */
function pidsWithHome(home) {
  const needle = Buffer.from(`\0HOME=${home}\0`);
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = Buffer.concat([Buffer.from('\0'), readFileSync(`/proc/${name}/environ`)]);
      if (env.includes(needle)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/**
 * A git project with `files` committed, a temp HOME, and `airlock serve
 * --project` running with `agentEnv(home)` on top of a clean environment
 * (the engine passes its environment to the sessions it starts). Returns a
 * context with CLI helpers; `ctx.close()` stops everything and removes the
 * temp folder. `describeMock()` adds what the model API saw to failure messages.
 */
export async function startAcpAirlock(name, { files = {}, agentEnv = () => ({}), describeMock = () => '' } = {}) {
  const tmp = await makeTemp(`acp-${name}`);
  const project = join(tmp.root, 'project');
  const airlockHome = join(tmp.root, 'airlock');
  const home = join(tmp.root, 'home');
  await mkdir(airlockHome);
  await mkdir(home);
  await writeProject(project, { 'README.md': '# Demo\n\nA project for the ACP agent tests.\n', ...files });
  // These tests use the CLI only: a stand-in UI keeps them from depending on
  // (or racing) a build of ui/dist.
  const ui = join(tmp.root, 'ui');
  await mkdir(ui);
  await writeFile(join(ui, 'index.html'), '<!doctype html><title>Airlock</title>\n');

  // Nothing from the outside may steer an agent elsewhere: only agentEnv's.
  const base = Object.fromEntries(Object.entries(cleanEnv()).filter(([k]) => !/^(GEMINI_|GOOGLE_|OPENAI_|CODEX_)/.test(k)));
  const env = {
    ...base,
    PATH: `${NPM_BIN}:${process.env.PATH || '/usr/bin:/bin'}`,
    HOME: home,
    LANG: 'C.UTF-8',
    SHELL: '/bin/bash',
    AIRLOCK_HOME: airlockHome,
    RUST_BACKTRACE: '1',
    ...(await agentEnv(home)),
  };
  const stopAll = async (serve) => {
    await terminate(serve);
    // The engine stops its sessions as it exits; anything left is killed.
    for (const pid of pidsWithHome(home)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const { serve, serveStderr, cli, ok, json } = await startServe(project, env, {
    args: ['--ui', ui],
    onFail: async (failed) => {
      await stopAll(failed);
      await tmp.cleanup();
    },
  });

  let lastStatus = null;
  const sessions = [];
  const ctx = {
    tmp,
    project,
    airlockHome,
    home,
    env,
    cli,
    ok,
    json,
    serveStderr,
    async status() {
      lastStatus = await json(['status']);
      return lastStatus;
    },
    async session(id) {
      return (await ctx.status()).sessions.find((s) => s.id === id);
    },
    async changes() {
      return (await json(['changes'])).changes;
    },
    async transcript(id) {
      return json(['transcript', id]);
    },
    /** Everything useful when a wait fails: status, transcripts, the model's requests, the engine's log. */
    describe() {
      let transcripts = '';
      for (const id of sessions) {
        const r = ctx.lastTranscripts?.[id];
        if (r) transcripts += `\n--- transcript ${id} ---\n${JSON.stringify(r, null, 1).slice(-4000)}`;
      }
      return (
        `\n--- last airlock status --json ---\n${JSON.stringify(lastStatus, null, 1)?.slice(0, 3000)}` +
        transcripts +
        `\n--- model requests the mock saw ---\n${describeMock()}` +
        `\n--- airlock serve stderr (tail) ---\n${serveStderr().slice(-3000)}`
      );
    },
    lastTranscripts: {},
    /**
     * `airlock run --acp --mode MODE -- CMD…`; waits until the agent has
     * answered `initialize` (its chat info shows); returns the session.
     */
    async runAcp(command, { mode = 'staged', name: sessionName } = {}) {
      const args = ['run', '--acp', '--mode', mode];
      if (sessionName) args.push('--name', sessionName);
      const out = await ok([...args, '--', ...command]);
      const id = out.trim().split('\n').pop();
      if (!/^s-/.test(id)) throw new Error(`airlock run printed no session id: ${JSON.stringify(out)}`);
      sessions.push(id);
      return waitFor(
        () => `${command[0]} answers initialize (session ${id} has chat info)${ctx.describe()}`,
        async () => {
          const s = await ctx.session(id);
          if (s?.state === 'exited') {
            ctx.lastTranscripts[id] = await ctx.transcript(id).catch(() => null);
            throw new Error(`session ${id} exited (code ${s.exitCode})${ctx.describe()}`);
          }
          return s?.chat ? s : null;
        },
        60_000,
        250,
      );
    },
    /**
     * `airlock prompt SESSION TEXT [--json]` in the background; returns
     * { done: Promise<{ code, stdout, stderr, json }> }. The prompt waits
     * for the turn's end, which may need a decision first.
     */
    prompt(id, text, { asJson = true, ms = 120_000 } = {}) {
      // Options before the session: every word after the text's first is text.
      const args = ['--project', project, 'prompt', ...(asJson ? ['--json'] : []), id, text];
      const child = spawn(AIRLOCK_BIN, args, { env, cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const done = new Promise((resolveRun, reject) => {
        const timer = setTimeout(async () => {
          await terminate(child);
          ctx.lastTranscripts[id] = await ctx.transcript(id).catch(() => null);
          reject(new Error(`airlock prompt ${id} did not return within ${ms / 1000} s\n--- stderr ---\n${stderr}${ctx.describe()}`));
        }, ms);
        child.once('exit', (code) => {
          clearTimeout(timer);
          let parsed = null;
          if (asJson && code === 0) {
            try {
              parsed = JSON.parse(stdout);
            } catch (err) {
              reject(new Error(`airlock prompt --json printed no JSON (${err.message}): ${stdout.slice(0, 2000)}`));
              return;
            }
          }
          resolveRun({ code, stdout, stderr, json: parsed });
        });
      });
      ctx.children.push(child);
      return { child, done, stderr: () => stderr };
    },
    children: [],
    /** Waits for a pending change at `path` (relative to the project) matching `pred`. */
    async waitChange(path, what, pred = () => true) {
      let last = [];
      return waitFor(
        () => `${what} (a pending change for ${path}; last: ${JSON.stringify(last).slice(0, 1500)})${ctx.describe()}`,
        async () => {
          last = await ctx.changes();
          return last.find((c) => c.path === path && pred(c));
        },
        60_000,
        200,
      );
    },
    /** Waits until no pending change is at `path`. */
    async waitNoChange(path, what) {
      await waitNoPendingChange(ctx, path, what);
    },
    /** Waits for an action in `airlock status --json` matching `pred`. */
    async waitAction(what, pred = () => true) {
      return waitFor(
        () => `${what} (an action in \`airlock status --json\`)${ctx.describe()}`,
        async () => ((await ctx.status()).actions || []).find(pred),
        60_000,
        200,
      );
    },
    /**
     * Waits for an action of session `id` in `airlock status --json`, or for
     * `turn` (what `prompt` returned) to end first; returns the action, or
     * undefined when the turn ended without one (the agent did not ask).
     */
    async waitActionOrEnd(id, turn) {
      let ended = false;
      turn.done.then(
        () => (ended = true),
        () => (ended = true),
      );
      let action;
      while (!ended && !action) {
        // The agent's own tool-call cards, not the exec gate's cards for its housekeeping.
        action = ((await ctx.status()).actions || []).find((a) => a.session === id && a.tool !== 'Exec');
        await new Promise((r) => setTimeout(r, 200));
      }
      return action;
    },
    /** The transcript's tool entries (their `call`s). */
    async tools(id) {
      const t = await ctx.transcript(id);
      ctx.lastTranscripts[id] = t;
      return t.filter((e) => e.type === 'tool').map((e) => e.call);
    },
    async close() {
      for (const c of ctx.children) await terminate(c);
      await stopAll(serve);
      await tmp.cleanup();
    },
  };
  return ctx;
}

/** The text of a transcript's agent entries, joined by newlines. */
export function agentText(entries) {
  return entries
    .filter((e) => e.type === 'agent')
    .map((e) => e.text)
    .join('\n');
}
