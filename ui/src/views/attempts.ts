// The sidebar's Tasks section: each task started in several sessions at
// once, with each attempt's turn, and Compare; "New attempts…" and "Stage
// settings…" open their dialogs.

import type { Ctx } from '../context';
import type { TaskInfo } from '../ipc/bindings';
import { h } from '../lib/dom';
import { openAttemptsDialog, openStageDialog } from './attempts-dialogs';
import { CompareView } from './compare';

export class TasksView {
  readonly el: HTMLElement;
  private readonly list = h('ul', { class: 'task-list', 'aria-label': 'Tasks' });
  private tasks: TaskInfo[] = [];
  private compare: CompareView | null = null;
  private seq = 0;

  constructor(private readonly ctx: Ctx) {
    const attempts = h('button', { class: 'btn btn-sm', type: 'button', 'data-testid': 'new-attempts', text: 'New attempts…', onclick: () => this.openAttempts() });
    const stage = h('button', { class: 'btn btn-sm', type: 'button', 'data-testid': 'stage-settings', text: 'Stage settings…', onclick: () => void this.openStage() });
    this.el = h('section', { class: 'tasks', 'data-testid': 'tasks', 'aria-label': 'Tasks' }, h('div', { class: 'tasks-head' }, h('span', { class: 'tasks-title', text: 'Tasks' }), h('span', { class: 'spacer' }), attempts, stage), this.list);
    ctx.store.on('sessions', () => this.render());
  }

  /** A task changed (attempts started, a test ran, finished): ask again. */
  changed(task: string): void {
    void this.refresh();
    if (this.compare && this.compare.dialog.isConnected && this.compareTask === task) void this.compare.refresh();
  }

  private compareTask = '';

  async refresh(): Promise<void> {
    const seq = ++this.seq;
    const res = await this.ctx.call({ op: 'listTasks' });
    if (!res || seq !== this.seq) return;
    this.tasks = res.tasks;
    this.render();
  }

  private render(): void {
    this.list.replaceChildren(...this.tasks.map((t) => this.item(t)));
    this.el.classList.toggle('empty', this.tasks.length === 0);
  }

  private item(t: TaskInfo): HTMLElement {
    const attempts = t.sessions.map((id, i) => {
      const s = this.ctx.store.sessions.get(id);
      const turn = s ? (s.state === 'exited' ? 'exited' : s.turn) : 'gone';
      return h('li', { class: `task-attempt turn-${turn}`, 'data-testid': 'task-attempt', 'data-session-id': id }, h('span', { class: 'task-attempt-name', text: s?.name ?? `attempt #${i + 1}` }), h('span', { class: 'session-turn', 'data-testid': 'task-attempt-turn', text: turn }));
    });
    return h(
      'li',
      { class: 'task-item', 'data-testid': 'task-item', 'data-task-id': t.id },
      h('div', { class: 'task-line' }, h('span', { class: 'task-text', title: t.task, text: t.task }), h('button', { class: 'btn btn-sm btn-primary', type: 'button', 'data-testid': 'task-compare', text: 'Compare', onclick: () => void this.openCompare(t.id) })),
      h('ul', { class: 'task-attempts' }, ...attempts),
    );
  }

  private openAttempts(): void {
    const dialog = openAttemptsDialog(this.ctx, () => void this.refresh());
    this.el.append(dialog);
    dialog.showModal();
    dialog.querySelector<HTMLTextAreaElement>('textarea')?.focus();
  }

  private async openStage(): Promise<void> {
    const dialog = await openStageDialog(this.ctx);
    if (!dialog) return;
    this.el.append(dialog);
    dialog.showModal();
  }

  private async openCompare(task: string): Promise<void> {
    this.compare = new CompareView(this.ctx, task);
    this.compareTask = task;
    document.body.append(this.compare.dialog);
    this.compare.dialog.showModal();
    await this.compare.refresh();
  }
}
