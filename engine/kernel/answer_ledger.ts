/**
 * Which items a line-per-item command has answered. A command such as `jq -c` prints one line per input
 * line, in order; when it reports a bad item on stderr and goes on (exit status 0), that item has no line,
 * and without this ledger it would vanish. The ledger pairs output lines with input items in order and
 * pins each stderr line on the oldest unanswered item, so that the items left without a line when the
 * command ends are known, with what the command said about them.
 *
 * Output and stderr come through two pipes, and which one is read first is not the order in which the
 * command wrote them (one read may take lines written after a stderr line). So a stderr line is pinned on
 * the item it names when it names one (`<stdin>:N` or `line N` as jq and most tools say, or the item's
 * own text) among the latest items, and on the oldest unanswered item otherwise: exact for a command that
 * names the item or flushes each line as it goes; a command that does neither may get its failure pinned on a
 * neighbouring item. The number of failed items is exact either way.
 * @module
 */

/** An item the command printed no line for, with the stderr lines pinned on it. */
export interface UnansweredItem<In> {
  /** The item as it was written to the command. */
  item: In;
  /** Its place in the input, from 1. */
  index: number;
  /** What the command wrote on stderr when it reached the item (may be empty). */
  stderr: string[];
}

const MAX_PINNED_LINES = 10;
/** Items looked at on each side of the oldest waiting one to re-pin a stderr line: more than one pipe read holds. */
const RECENT_ITEMS = 64;

/**
 * Pairs a command's output lines with its input items, in order.
 *
 * @example
 * ```ts
 * import { AnswerLedger } from "./answer_ledger.ts";
 * const ledger = new AnswerLedger<string>();
 * ledger.sent("a"); ledger.sent("bad"); ledger.sent("c");
 * ledger.answered();              // "a" printed its line
 * ledger.complained("bad input"); // stderr: pinned on "bad"
 * ledger.answered();              // "c" printed its line
 * console.log(ledger.unanswered().map((u) => u.item)); // ["bad"]
 * ```
 */
export class AnswerLedger<In> {
  #sent = 0;
  #waiting: Array<Sent<In>> = [];
  #head = 0;
  #recent: Array<Sent<In>> = [];
  #suspects: Array<UnansweredItem<In>> = [];

  /** Records an item written to the command, with the line it was written as (to recognise it in stderr). */
  sent(item: In, line = ""): void {
    this.#waiting.push({ item, index: ++this.#sent, line });
  }

  /** Records an output line: it answers the oldest item waiting. */
  answered(): void {
    if (this.#head < this.#waiting.length) {
      this.#remember(this.#shift());
      return;
    }
    // No item waits: an item blamed for a stderr line printed its line after all (the line was a warning).
    // The newest is the one whose line came: the older ones were reached first. (With no suspect either, the
    // command prints more than a line per item: the extra line goes on, no item to pair it with.)
    this.#suspects.pop();
  }

  /** Records a stderr line: it is about the item it names, or the oldest item waiting, or continues the last complaint. */
  complained(line: string): void {
    if (this.#head < this.#waiting.length) {
      const named = this.#named(line);
      let blamed: Sent<In>;
      const waitingAt = named ? this.#waiting.indexOf(named, this.#head) : -1;
      if (named === undefined || waitingAt === this.#head) {
        blamed = this.#shift();
      } else if (waitingAt > this.#head) {
        // Its complaint came before the lines of the items ahead of it: they still wait for theirs.
        blamed = this.#waiting.splice(waitingAt, 1)[0];
      } else {
        // An item counted as answered was the one complained about: the line taken as its answer came
        // after the complaint, so it answers the oldest item waiting instead.
        this.#recent.splice(this.#recent.indexOf(named), 1);
        this.#remember(this.#shift());
        blamed = named;
      }
      this.#suspects.push({ item: blamed.item, index: blamed.index, stderr: [line] });
      this.#suspects.sort((a, b) => a.index - b.index);
      return;
    }
    const last = this.#suspects.at(-1);
    if (last && last.stderr.length < MAX_PINNED_LINES) last.stderr.push(line);
  }

  /** Once the command has ended: the items it printed no line for, in input order. */
  unanswered(): Array<UnansweredItem<In>> {
    const rest = this.#waiting.slice(this.#head).map(({ item, index }) => ({ item, index, stderr: [] }));
    return [...this.#suspects, ...rest].sort((a, b) => a.index - b.index);
  }

  /** The item (among those waiting and the latest answered) that a stderr line names by number or text. */
  #named(line: string): Sent<In> | undefined {
    const waiting = this.#waiting.slice(this.#head, this.#head + RECENT_ITEMS);
    const candidates = [...waiting, ...this.#recent.toReversed()];
    const number = /(?:<stdin>:|\bline )(\d+)/.exec(line);
    if (number) return candidates.find((c) => c.index === Number(number[1]));
    return candidates.find((c) => c.line.length >= 3 && line.includes(c.line));
  }

  #remember(answered: Sent<In>): void {
    this.#recent.push(answered);
    if (this.#recent.length > RECENT_ITEMS) this.#recent.shift();
  }

  #shift(): Sent<In> {
    const next = this.#waiting[this.#head++];
    // Keep the array short on long streams without shifting it at every line.
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    return next;
  }
}

interface Sent<In> {
  item: In;
  index: number;
  line: string;
}
