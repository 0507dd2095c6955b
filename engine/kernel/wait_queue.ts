/**
 * An intrusive doubly linked FIFO of waiters: O(1) push, shift and removal from the middle (an aborted
 * waiter or the losing cases of a select leave the queue at once, so nothing piles up).
 * @module
 */

/**
 * A node of a {@linkcode WaitQueue}; waiters extend it.
 *
 * @example
 * ```ts
 * import { WaitNode, WaitQueue } from "./wait_queue.ts";
 * const q = new WaitQueue<WaitNode>();
 * const n = new WaitNode();
 * q.push(n);
 * q.remove(n); // true
 * ```
 */
export class WaitNode {
  /** Previous node, or null at the head. */
  prev: WaitNode | null = null;
  /** Next node, or null at the tail. */
  next: WaitNode | null = null;
  /** The queue holding this node, or null when it is in none. */
  queue: WaitQueue<WaitNode> | null = null;
}

/**
 * A FIFO of {@linkcode WaitNode}s.
 *
 * @example
 * ```ts
 * import { WaitNode, WaitQueue } from "./wait_queue.ts";
 * const q = new WaitQueue<WaitNode>();
 * q.push(new WaitNode());
 * console.log(q.size, q.shift() !== null); // 1 true
 * ```
 */
export class WaitQueue<N extends WaitNode> {
  /** The oldest node. */
  head: N | null = null;
  /** The newest node. */
  tail: N | null = null;
  /** Number of nodes. */
  size = 0;

  /** Appends `node` (which must be in no queue). */
  push(node: N): void {
    node.queue = this as WaitQueue<WaitNode>;
    node.prev = this.tail;
    node.next = null;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.size++;
  }

  /** Removes and returns the oldest node, or null when empty. */
  shift(): N | null {
    const node = this.head;
    if (node === null) return null;
    const next = node.next as N | null;
    this.head = next;
    if (next === null) this.tail = null;
    else next.prev = null;
    node.next = null;
    node.queue = null;
    this.size--;
    return node;
  }

  /** Removes `node` if it is in this queue; returns whether it was. */
  remove(node: N): boolean {
    if (node.queue !== (this as WaitQueue<WaitNode>)) return false;
    const { prev, next } = node;
    if (prev === null) this.head = next as N | null;
    else prev.next = next;
    if (next === null) this.tail = prev as N | null;
    else next.prev = prev;
    node.prev = node.next = null;
    node.queue = null;
    this.size--;
    return true;
  }
}
