// A file's header: the fold toggle, its path (and the one it was renamed
// from), kind, size, the session that proposed it, risk badges and the file's
// Approve / Reject; and the note a held change shows above its hunks.

import type { Ctx } from '../../context';
import type { Change } from '../../ipc/bindings';
import { h, icon, ICONS, replaceChildren } from '../../lib/dom';
import { badgeList } from './badges';
import { decisionButtons, type DecideButtons } from './decide';
import { heldReason } from './hunk';

/** What the header tells its file. */
export interface FileHeaderHost {
  /** The user folds or unfolds the file. */
  toggle(): void;
  /** A decision on the whole file is on its way (or no longer). */
  busy(on: boolean): void;
}

export class FileHeader {
  readonly el: HTMLElement;
  /** Why a held change cannot land: the file shows it at the top of its body. */
  readonly heldNote = h('p', { class: 'held-note', role: 'note', hidden: true });
  private readonly meta = h('span', { class: 'file-meta' });
  private readonly badges = h('span', { class: 'file-badges' });
  private readonly pathEl = h('span', { class: 'file-path' });
  private readonly toggle: HTMLButtonElement;
  private readonly buttons: DecideButtons;

  constructor(
    private readonly ctx: Ctx,
    /** The change as it is now. */
    private readonly change: () => Change,
    host: FileHeaderHost,
  ) {
    this.toggle = h(
      'button',
      {
        class: 'icon-button chevron',
        type: 'button',
        'data-testid': 'file-toggle',
        onclick: () => host.toggle(),
      },
      icon(ICONS.chevron),
    );
    this.buttons = decisionButtons(ctx, {
      scope: 'file',
      what: change().path,
      ids: () => this.approvableIds(),
      rejectIds: () => [this.change().id],
      busy: (on) => host.busy(on),
    });
    this.el = h(
      'header',
      { class: 'file-header', tabindex: -1 },
      this.toggle,
      this.pathEl,
      this.meta,
      this.badges,
      h('span', { class: 'spacer' }),
      this.buttons.el,
    );
  }

  /** The toggle says what a click does. */
  setCollapsed(on: boolean): void {
    this.toggle.setAttribute('aria-expanded', String(!on));
    this.toggle.setAttribute('aria-label', `${on ? 'Expand' : 'Collapse'} ${this.change().path}`);
    this.toggle.title = `${on ? 'Show' : 'Hide'} the diff (o)`;
  }

  /** Draws the change as it is now; `lineHunks`: how many line hunks it has. */
  render(lineHunks: number): void {
    const c = this.change();
    const base = (p: string) => {
      const slash = p.lastIndexOf('/');
      return [slash >= 0 ? h('span', { class: 'dir', text: p.slice(0, slash + 1) }) : null, h('span', { class: 'base', text: p.slice(slash + 1) })];
    };
    replaceChildren(
      this.pathEl,
      ...(c.oldPath ? [h('span', { class: 'old-path', title: c.oldPath }, ...base(c.oldPath)), h('span', { class: 'rename-arrow', text: ' → ' })] : []),
      ...base(c.path),
    );
    this.pathEl.title = c.oldPath ? `${c.oldPath} → ${c.path}` : c.path;
    const session = this.ctx.store.sessions.get(c.session);
    const showSession = this.ctx.store.sessions.size > 1 && session;
    replaceChildren(
      this.meta,
      h('span', { class: `badge kind kind-${c.kind}`, text: c.kind }),
      c.binary ? h('span', { class: 'badge badge-muted', text: 'binary' }) : null,
      c.state === 'conflict' ? h('span', { class: 'badge badge-conflict', text: 'conflict' }) : null,
      c.state === 'held' ? h('span', { class: 'badge badge-danger', text: 'held' }) : null,
      c.binary
        ? null
        : h(
            'span',
            { class: 'stat', 'aria-label': `${c.additions} additions, ${c.deletions} deletions` },
            h('span', { class: c.additions ? 'add' : 'add zero', text: `+${c.additions}` }),
            h('span', { class: c.deletions ? 'del' : 'del zero', text: `−${c.deletions}` }),
          ),
      lineHunks > 1 ? h('span', { class: 'hunk-count', text: `${lineHunks} hunks` }) : null,
      showSession ? h('span', { class: 'badge badge-session', title: 'Proposed by this session', text: session.name }) : null,
    );
    replaceChildren(this.badges, badgeList(c.badges));
    this.renderDecision(c);
  }

  /** The held note, and what Approve may do: nothing for a held change, only the others when some hunks conflict. */
  private renderDecision(c: Change): void {
    const held = heldReason(c);
    this.heldNote.hidden = held === null;
    if (held) replaceChildren(this.heldNote, icon(ICONS.alert), h('span', { text: `This change is held: ${c.held ?? ''}. It cannot land; reject it to send it back to the agent.` }));
    const conflicts = c.hunks.filter((x) => x.conflict).length;
    if (held) this.buttons.block(held);
    else if (conflicts > 0 && conflicts === c.hunks.length) this.buttons.block('Every hunk overlaps lines you changed — reject to keep yours, or edit them');
    else if (conflicts > 0) {
      this.buttons.block(null, 'Approve others');
      this.buttons.approve.title = `Approve the ${c.hunks.length - conflicts} hunks that do not overlap your edits (A)`;
    } else this.buttons.block(null);
  }

  private approvableIds(): string[] {
    const c = this.change();
    if (!c.hunks.some((x) => x.conflict)) return [c.id];
    return c.hunks.filter((x) => !x.conflict).map((x) => x.id);
  }
}
