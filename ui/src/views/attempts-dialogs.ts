// Two small dialogs of the sidebar's Tasks section: "New attempts" (one task
// in N staged sessions at once, any mix of agents, an optional test command
// and the branch to start from) and "Stage settings" (the project's
// .airlock/stage.toml: ignored paths brought into each stage, a setup command).

import type { Ctx } from '../context';
import type { AttemptAgent, StageConfig, StartAttemptsParams } from '../ipc/bindings';
import { splitCommand } from '../lib/argv';
import { dialogShell } from '../lib/dialog';
import { h } from '../lib/dom';

function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h('label', { class: 'attempts-field' }, h('span', { class: 'commit-label', text: label }), control, hint ? h('span', { class: 'attempts-hint', text: hint }) : null);
}

/** The agents' lines: one command line each, `acp:` in front for a chat agent. */
function agentsOf(text: string): AttemptAgent[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => (l.startsWith('acp:') ? { command: splitCommand(l.slice(4).trim()), kind: 'chat' } : { command: splitCommand(l), kind: 'terminal' }));
}

/** Opens "New attempts"; `started` gets the new task's id. */
export function openAttemptsDialog(ctx: Ctx, started: (task: string) => void): HTMLDialogElement {
  const task = h('textarea', { class: 'commit-message', 'data-testid': 'attempts-task', rows: 4, 'aria-label': 'Task', spellcheck: 'true' });
  const count = h('input', { type: 'number', class: 'command-input', 'data-testid': 'attempts-count', min: 1, max: 8, value: 3, 'aria-label': 'Attempts' });
  const agents = h('textarea', { class: 'commit-message', 'data-testid': 'attempts-agents', rows: 3, 'aria-label': 'Agents', spellcheck: 'false' });
  const test = h('input', { type: 'text', class: 'command-input', 'data-testid': 'attempts-test', 'aria-label': 'Test command', spellcheck: 'false', placeholder: 'e.g. npm test' });
  const base = h('input', { type: 'text', class: 'command-input', 'data-testid': 'attempts-base', 'aria-label': 'Start from branch', spellcheck: 'false', placeholder: 'current HEAD' });
  const go = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'attempts-start', text: 'Start attempts' });
  const { dialog, error } = dialogShell('New attempts', 'attempts-dialog', [
    field('Task', task, 'A prompt for the agents, or a shell command line when no agent is given.'),
    field('Attempts (1–8)', count),
    field('Agents', agents, 'One command line a line, taken in turn; "acp:" in front for a chat agent. Empty: the task runs in the shell.'),
    field('Test command', test, 'Run in each stage when its attempt ends; pass or fail shows in Compare.'),
    field('Start from', base),
  ], go, 'attempts-dialog');
  go.addEventListener('click', () => {
    go.disabled = true;
    const size = ctx.terminalSize();
    const params: StartAttemptsParams = { task: task.value, count: Number(count.value), agents: agentsOf(agents.value), cols: size.cols, rows: size.rows };
    if (test.value.trim()) params.test = test.value.trim();
    if (base.value.trim()) params.base = base.value.trim();
    void ctx
      .attempt({ op: 'startAttempts', ...params })
      .then((res) => {
        go.disabled = false;
        if (!res.ok) {
          error.textContent = res.message;
          error.hidden = false;
          return;
        }
        dialog.close();
        started(res.value.id);
      });
  });
  return dialog;
}

/** Opens "Stage settings" with the project's current ones. */
export async function openStageDialog(ctx: Ctx): Promise<HTMLDialogElement | null> {
  const res = await ctx.attempt({ op: 'getStageConfig' });
  const now: StageConfig = res.ok ? res.value : { bring: [] };
  const bring = h('textarea', { class: 'commit-message', 'data-testid': 'stage-bring', rows: 4, 'aria-label': 'Ignored paths to bring in', spellcheck: 'false' });
  bring.value = now.bring.join('\n');
  const setup = h('input', { type: 'text', class: 'command-input', 'data-testid': 'stage-setup', 'aria-label': 'Setup command', spellcheck: 'false', value: now.setup ?? '' });
  const save = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'stage-save', text: 'Save' });
  const { dialog, error } = dialogShell('Stage settings', 'stage-dialog', [
    h('p', { class: 'attempts-hint', text: 'Kept in .airlock/stage.toml. Each new stage gets these before its agent starts.' }),
    field('Ignored paths to bring in', bring, 'One a line (node_modules, .env, target): copied copy-on-write where the file system can, never linked to the project.'),
    field('Setup command', setup, 'Runs in the session\u2019s terminal first; a failure is shown and the agent starts anyway.'),
  ], save, 'attempts-dialog');
  if (!res.ok) {
    error.textContent = res.message;
    error.hidden = false;
  }
  save.addEventListener('click', () => {
    const config: StageConfig = { bring: bring.value.split('\n').map((l) => l.trim()).filter((l) => l !== '') };
    if (setup.value.trim()) config.setup = setup.value.trim();
    void ctx.attempt({ op: 'setStageConfig', ...config }).then((r) => {
      if (r.ok) {
        dialog.close();
        ctx.notify('Stage settings saved');
      } else {
        error.textContent = r.message;
        error.hidden = false;
      }
    });
  });
  return dialog;
}
