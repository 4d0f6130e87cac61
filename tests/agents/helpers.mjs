// Shared by the agent tests: the real Claude Code CLI from node_modules, a temp
// HOME it accepts without any first-run screen, a PreToolUse hook script that
// logs what it is given, and waits that fail saying what was not seen.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { terminate } from '../browser/helpers.mjs';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '..', '..');
export const CLAUDE_BIN = process.env.CLAUDE_BIN || join(REPO, 'node_modules', '.bin', 'claude');
export const AIRLOCK_BIN = process.env.AIRLOCK_BIN || join(REPO, 'target', 'debug', 'airlock');
export const PTY_RUN = join(HERE, 'pty-run.py');
/** The longest any single wait may take. */
export const WAIT_MS = 20_000;

/** The version `claude --version` reports; throws saying how to install it. */
export function claudeVersion() {
  if (!existsSync(CLAUDE_BIN)) {
    throw new Error(`${CLAUDE_BIN} does not exist: run \`npm ci\` then \`bash tests/agents/install-claude.sh\``);
  }
  let out;
  try {
    out = execFileSync(CLAUDE_BIN, ['--version'], {
      encoding: 'utf8',
      timeout: WAIT_MS,
      env: { PATH: process.env.PATH, HOME: tmpdir(), DISABLE_AUTOUPDATER: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    throw new Error(
      `\`claude --version\` failed (${err.message.split('\n')[0]}): run \`bash tests/agents/install-claude.sh\` to put its native binary in place`,
    );
  }
  const m = /(\d+\.\d+\.\d+)/.exec(out);
  if (!m) throw new Error(`\`claude --version\` printed no version: ${JSON.stringify(out)}`);
  return m[1];
}

/** A temp folder; `cleanup()` removes it unless AIRLOCK_KEEP_TMP=1. */
export async function makeTemp(prefix) {
  const root = await mkdtemp(join(tmpdir(), `airlock-${prefix}-`));
  return {
    root,
    async cleanup() {
      if (process.env.AIRLOCK_KEEP_TMP === '1') {
        console.error(`# kept ${root}`);
        return;
      }
      await rm(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** Makes `dir` a git repository with one commit of what is in it. */
export function gitInit(dir) {
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@airlock.invalid');
  git('config', 'user.name', 'Airlock Test');
  git('config', 'commit.gpgsign', 'false');
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'initial');
}

/**
 * Writes `$home/.claude.json` so Claude Code starts straight into work:
 * onboarding done, a theme, the API key "dummy" approved (the TUI otherwise
 * asks whether to use a key found in the environment), and each project
 * trusted (otherwise the TUI's first screen is the trust dialog).
 */
export async function writeClaudeHome(home, projects = []) {
  await mkdir(home, { recursive: true });
  const config = {
    hasCompletedOnboarding: true,
    theme: 'dark',
    customApiKeyResponses: { approved: ['dummy'], rejected: [] },
    projects: Object.fromEntries(
      projects.map((p) => [p, { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] }]),
    ),
  };
  await writeFile(join(home, '.claude.json'), JSON.stringify(config, null, 2));
}

/** The environment Claude Code needs to talk to the mock and nothing else. */
export function claudeEnv({ home, mockUrl, extra = {} }) {
  return {
    PATH: `${dirname(CLAUDE_BIN)}:${process.env.PATH || '/usr/bin:/bin'}`,
    HOME: home,
    LANG: 'C.UTF-8',
    ANTHROPIC_BASE_URL: mockUrl,
    ANTHROPIC_API_KEY: 'dummy',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    ...extra,
  };
}

/**
 * A settings file whose PreToolUse hook (matcher `*`) runs `command`.
 * Returns its absolute path.
 */
export async function writeHookSettings(path, command) {
  const settings = { hooks: { PreToolUse: [{ matcher: '*', hooks: [{ type: 'command', command }] }] } };
  await writeFile(path, JSON.stringify(settings, null, 2));
  return path;
}

/**
 * A tiny PreToolUse hook in sh: appends its stdin (one JSON document) as a
 * line to `<dir>/hook.log`, then prints `<dir>/resp-<tool_name>.json` if
 * there is one (and nothing otherwise). Returns { command, log, respond(tool, json) }.
 */
export async function writeLoggingHook(dir) {
  const log = join(dir, 'hook.log');
  const command = join(dir, 'hook.sh');
  await writeFile(
    command,
    `#!/bin/sh
# Test hook: log the input, answer from a prepared file per tool.
input=$(cat)
printf '%s\\n' "$input" >> '${log}'
tool=$(printf '%s' "$input" | sed -n 's/.*"tool_name":"\\([A-Za-z0-9_]*\\)".*/\\1/p')
if [ -n "$tool" ] && [ -f '${dir}'/resp-"$tool".json ]; then
  cat '${dir}'/resp-"$tool".json
fi
exit 0
`,
    { mode: 0o755 },
  );
  return {
    command,
    log,
    /** What the hook answers for `tool` (an object, written as JSON). */
    respond: (tool, json) => writeFile(join(dir, `resp-${tool}.json`), JSON.stringify(json)),
    /** Every hook input so far, parsed. */
    async inputs() {
      const text = await readOrNull(log);
      return (text || '')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l));
    },
  };
}

/** A PreToolUse decision as Claude Code reads it from a hook's stdout. */
export function decision(permissionDecision, reason, updatedInput) {
  const out = { hookEventName: 'PreToolUse', permissionDecision };
  if (reason !== undefined) out.permissionDecisionReason = reason;
  if (updatedInput !== undefined) out.updatedInput = updatedInput;
  return { hookSpecificOutput: out };
}


/**
 * Runs `claude -p PROMPT --settings SETTINGS --output-format stream-json
 * --verbose` in `cwd` and resolves with { code, stdout, stderr, events }
 * (events: the parsed stream-json lines). Fails after `ms`.
 */
export function runClaudePrint({ cwd, env, prompt, settings, ms = WAIT_MS }) {
  const args = ['-p', prompt, '--output-format', 'stream-json', '--verbose'];
  if (settings) args.push('--settings', settings);
  const child = spawn(CLAUDE_BIN, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolveRun, reject) => {
    const timer = setTimeout(async () => {
      await terminate(child);
      reject(new Error(`claude -p did not finish within ${ms / 1000} s\n--- stdout ---\n${stdout.slice(-4000)}\n--- stderr ---\n${stderr.slice(-4000)}`));
    }, ms);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const events = [];
      for (const line of stdout.split('\n')) {
        if (!line.trim()) continue;
        try {
          events.push(JSON.parse(line));
        } catch {
          // not a stream-json line
        }
      }
      resolveRun({ code, signal, stdout, stderr, events });
    });
  });
}

/**
 * Starts `cmd args` in a pseudo-terminal (through pty-run.py). Returns
 * { child, output(): string, text(): output without escape sequences, type(s), stop() }.
 */
export function startInPty(cmd, args, { cwd, env, cols = 120, rows = 40 }) {
  const child = spawn('python3', [PTY_RUN, '--cols', String(cols), '--rows', String(rows), '--', cmd, ...args], {
    cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return {
    child,
    output: () => out,
    stderr: () => err,
    text: () => stripAnsi(out),
    type: (s) => child.stdin.write(s),
    stop: () => terminate(child),
  };
}

/** Removes terminal escape sequences (CSI, OSC, single-character escapes). */
export function stripAnsi(s) {
  return s
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\x1b\[[0-9;?<>=]*[ -/]*[@-~]/g, '')
    .replace(/\x1b[@-Z\\-_]/g, '');
}

/** Polls `probe` until it returns a truthy value; fails with `what` after `ms`. */
export async function waitFor(what, probe, ms = WAIT_MS, every = 100) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = typeof what === 'function' ? what() : what;
      throw new Error(`not seen within ${ms / 1000} s: ${detail}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Reads a file, or null when it is not there. */
export async function readOrNull(path) {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
}

/** A short description of what the mock has seen, for failure messages. */
export function describeRequests(mock) {
  return mock.describe();
}

export { terminate };
