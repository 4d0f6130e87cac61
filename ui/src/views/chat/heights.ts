// The heights of a virtual list's rows and the sums of them, for the chat
// transcript: where row i starts (`offset`) and which row is at a given
// height (`at`) in O(log n) with a Fenwick tree, so a 10,000-entry transcript
// costs a few dozen additions a frame, not a walk over all of it.

export class Heights {
  private size = 0;
  /** Each row's height. */
  private h = new Float64Array(64);
  /** Fenwick tree over `h` (1-based: tree[i] sums h[i - (i & -i) .. i - 1]). */
  private tree = new Float64Array(65);

  get length(): number {
    return this.size;
  }

  get(i: number): number {
    return this.h[i] ?? 0;
  }

  /** The sum of all heights. */
  total(): number {
    return this.offset(this.size);
  }

  /** Sets row `i`'s height (rows past the end are added, as 0 until set). */
  set(i: number, height: number): void {
    if (i >= this.size) this.resize(i + 1);
    const delta = height - (this.h[i] ?? 0);
    if (delta === 0) return;
    this.h[i] = height;
    for (let k = i + 1; k < this.tree.length; k += k & -k) this.tree[k] = (this.tree[k] ?? 0) + delta;
  }

  /** Keeps the first `n` rows (new ones are 0). */
  resize(n: number): void {
    if (n < this.size) {
      for (let i = n; i < this.size; i++) this.set(i, 0);
    } else if (n > this.h.length) {
      let cap = this.h.length;
      while (cap < n) cap *= 2;
      const h = new Float64Array(cap);
      h.set(this.h.subarray(0, this.size));
      this.h = h;
      this.rebuild();
    }
    this.size = n;
  }

  /** Sets every row's height at once (O(n)). */
  fill(height: (i: number) => number): void {
    for (let i = 0; i < this.size; i++) this.h[i] = height(i);
    this.rebuild();
  }

  /** The sum of the heights of the rows before `i`. */
  offset(i: number): number {
    let sum = 0;
    for (let k = Math.min(i, this.size); k > 0; k -= k & -k) sum += this.tree[k] ?? 0;
    return sum;
  }

  /**
   * The row at height `y`: the first whose end is past `y` (0 above the top,
   * the last row below the bottom; 0 when there are none).
   */
  at(y: number): number {
    if (this.size === 0 || y < 0) return 0;
    // Descend the tree: the longest prefix whose sum is ≤ y.
    let pos = 0;
    let rest = y;
    let step = 1;
    while (step * 2 < this.tree.length) step *= 2;
    for (; step > 0; step >>= 1) {
      const next = pos + step;
      if (next < this.tree.length && (this.tree[next] ?? 0) <= rest) {
        pos = next;
        rest -= this.tree[next] ?? 0;
      }
    }
    return Math.min(pos, this.size - 1);
  }

  private rebuild(): void {
    const tree = new Float64Array(this.h.length + 1);
    for (let i = 1; i < tree.length; i++) {
      tree[i] = (tree[i] ?? 0) + (this.h[i - 1] ?? 0);
      const parent = i + (i & -i);
      if (parent < tree.length) tree[parent] = (tree[parent] ?? 0) + (tree[i] ?? 0);
    }
    this.tree = tree;
  }
}
