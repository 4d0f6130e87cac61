// A hunk that is not lines: the file's mode, or the whole file (binary,
// symlink, too large, empty, moved), decided like any other hunk.

import type { Change, HunkHeader } from '../../ipc/bindings';
import { h, icon, ICONS } from '../../lib/dom';
import { badgeList } from './badges';
import { decisionButtons } from './decide';
import { CONFLICT_SHORT, CONFLICT_TEXT, heldReason, type HunkHost, type ItemView } from './hunk';

/** A hunk that is not lines: the file's mode, or the whole file (binary, symlink, too large, empty, moved). */
export class SpecialHunkView implements ItemView {
  readonly el: HTMLElement;
  readonly key: string;
  readonly state: Change['state'];
  private busy = false;
  private prompting = false;

  constructor(host: HunkHost, readonly header: HunkHeader) {
    const c = host.change;
    this.key = header.id;
    this.state = c.state;
    const mode = (m: number | null) => (m === null ? '—' : (m & 0o777).toString(8));
    const title =
      header.kind === 'mode'
        ? `mode ${mode(c.oldMode)} → ${mode(c.newMode)}`
        : c.kind === 'renamed'
          ? 'Rename'
          : c.binary
            ? 'Binary file'
            : 'Whole file';
    const what = `${header.kind === 'mode' ? 'mode change' : 'whole file'} of ${c.path}`;
    const held = heldReason(c);
    const buttons = decisionButtons(host.ctx, {
      scope: 'hunk',
      what,
      ids: () => [header.id],
      busy: (on) => {
        this.busy = on;
        this.el.classList.toggle('busy', on);
        host.pin(header.id, this.pinned);
      },
      prompting: (on) => {
        this.prompting = on;
        host.pin(header.id, this.pinned);
      },
    });
    if (held) buttons.block(held);
    else if (header.conflict) buttons.block(CONFLICT_SHORT);
    const body =
      header.kind === 'whole'
        ? h(
            'div',
            { class: 'file-notice' },
            h('p', { text: c.notice ?? (c.binary ? 'Binary file' : 'No textual difference') }),
            h(
              'p',
              { class: 'sizes' },
              h('span', { text: `Project: ${formatSize(c.oldSize)}` }),
              h('span', { text: '→' }),
              h('span', { text: `Proposed: ${formatSize(c.newSize)}` }),
            ),
          )
        : null;
    this.el = h(
      'section',
      {
        class: `hunk hunk-${header.kind}${header.conflict ? ' conflict' : ''}`,
        'data-testid': 'hunk',
        'data-hunk-id': header.id,
        'data-kind': header.kind,
        'aria-label': `Hunk: ${what}`,
        tabindex: -1,
      },
      h(
        'div',
        { class: 'hunk-main' },
        h(
          'div',
          { class: 'hunk-header' },
          h('code', { class: 'hunk-range', text: title }),
          badgeList(header.badges),
          h('span', { class: 'spacer' }),
          buttons.el,
        ),
        header.conflict ? h('p', { class: 'conflict-note', role: 'note' }, icon(ICONS.alert), h('span', { text: CONFLICT_TEXT })) : null,
        body,
      ),
    );
  }

  get pinned(): boolean {
    return this.busy || this.prompting;
  }
}

export function formatSize(n: number | null): string {
  if (n === null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
