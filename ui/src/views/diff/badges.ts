// Risk badges the engine attaches to files and hunks: a short name, the why as
// a tooltip, and the why shown as text while the badge has focus.

import { COLLAPSED_BADGES, type Badge, type BadgeKind } from '../../ipc/bindings';
import { h } from '../../lib/dom';

const NAMES: Record<BadgeKind, string> = {
  grantsPower: 'grants power',
  deletesSymbol: 'deletes symbol',
  renamesSymbol: 'renames symbol',
  changesSignature: 'changes signature',
  weakensTest: 'weakens test',
  syntaxError: 'syntax error',
  secrets: 'secrets',
  lockfile: 'lockfile',
  ciConfig: 'CI config',
  migration: 'migration',
  generated: 'generated',
};

const DANGER = new Set<BadgeKind>(['grantsPower', 'secrets', 'syntaxError', 'deletesSymbol', 'weakensTest']);
const QUIET = new Set<BadgeKind>(COLLAPSED_BADGES);

function nameOf(kind: BadgeKind): string {
  return NAMES[kind];
}

/** Files with these badges start collapsed: rarely read line by line. */
export function collapsedByDefault(badges: readonly Badge[]): boolean {
  return badges.some((b) => COLLAPSED_BADGES.includes(b.kind));
}

export function badgeEl(b: Badge): HTMLElement {
  const tone = DANGER.has(b.kind) ? 'danger' : QUIET.has(b.kind) ? 'quiet' : 'warn';
  const name = nameOf(b.kind);
  return h(
    'span',
    {
      class: `risk-badge risk-${tone}`,
      'data-testid': 'badge',
      'data-kind': b.kind,
      tabindex: 0,
      title: b.why,
      'aria-label': `${name}: ${b.why}`,
    },
    h('span', { class: 'risk-name', 'aria-hidden': 'true', text: name }),
    h('span', { class: 'risk-why', 'aria-hidden': 'true', text: b.why }),
  );
}

export function badgeList(badges: readonly Badge[]): HTMLElement | null {
  if (badges.length === 0) return null;
  return h('span', { class: 'risk-badges' }, ...badges.map(badgeEl));
}
