// Review preferences the user toggles, remembered in localStorage. Views listen
// for changes with `onChange`.

export type ViewMode = 'unified' | 'split';
export type SortMode = 'path' | 'risk';

export interface PrefValues {
  view: ViewMode;
  ignoreWhitespace: boolean;
  sort: SortMode;
}

const KEY = 'airlock.review';
const DEFAULTS: PrefValues = { view: 'unified', ignoreWhitespace: false, sort: 'path' };

function load(): PrefValues {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Record<keyof PrefValues, unknown>>;
    return {
      view: raw.view === 'split' ? 'split' : 'unified',
      ignoreWhitespace: raw.ignoreWhitespace === true,
      sort: raw.sort === 'risk' ? 'risk' : 'path',
    };
  } catch {
    return { ...DEFAULTS };
  }
}

export class Prefs {
  private values = load();
  private readonly listeners = new Set<(key: keyof PrefValues) => void>();

  get<K extends keyof PrefValues>(key: K): PrefValues[K] {
    return this.values[key];
  }

  set<K extends keyof PrefValues>(key: K, value: PrefValues[K]): void {
    if (this.values[key] === value) return;
    this.values = { ...this.values, [key]: value };
    try {
      localStorage.setItem(KEY, JSON.stringify(this.values));
    } catch {
      // Not remembering is fine; the toggle still works for this page.
    }
    for (const fn of this.listeners) fn(key);
  }

  onChange(fn: (key: keyof PrefValues) => void): void {
    this.listeners.add(fn);
  }
}
