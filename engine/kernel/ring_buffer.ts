/**
 * A growable FIFO ring over a power-of-two array: O(1) push and shift with no `Array.shift` and no
 * allocation in the steady state. It starts small so `chan(1_000_000)` costs nothing until it fills.
 * @module
 */

const INITIAL_SLOTS = 16;

/**
 * A FIFO ring buffer that doubles its storage when full.
 *
 * @example
 * ```ts
 * import { RingBuffer } from "./ring_buffer.ts";
 * const r = new RingBuffer<number>(4);
 * r.push(1); r.push(2);
 * console.log(r.shift(), r.count); // 1 1
 * ```
 */
export class RingBuffer<T> {
  private slots: (T | undefined)[];
  private mask: number;
  private head = 0;
  /** Number of items held. */
  count = 0;

  /** @param expected the most items it will usually hold (sizes the first allocation) */
  constructor(expected: number) {
    let size = 1;
    while (size < Math.min(expected, INITIAL_SLOTS)) size <<= 1;
    this.slots = new Array(size);
    this.mask = size - 1;
  }

  /** Appends `value`, growing the storage when it is full. */
  push(value: T): void {
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) & this.mask] = value;
    this.count++;
  }

  /** Removes and returns the oldest item; the caller checks `count > 0` first. */
  shift(): T {
    const head = this.head;
    const value = this.slots[head] as T;
    this.slots[head] = undefined; // let the value be collected
    this.head = (head + 1) & this.mask;
    this.count--;
    return value;
  }

  private grow(): void {
    const old = this.slots;
    const next: (T | undefined)[] = new Array(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.slots = next;
    this.mask = next.length - 1;
    this.head = 0;
  }
}
