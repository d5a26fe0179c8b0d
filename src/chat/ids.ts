/**
 * Connection ids: the number every chat client is given in its `id` frame and that others see in
 * its messages. Unique across instances and restarts, taken from blocks the database hands out
 * (src/store/seq-blocks.ts), so allocating one needs no bus and writes nothing to the log that
 * resume reads. One database transaction per BLOCK connections.
 */
export const ID_BLOCK = 1000;

export class ConnectionIds {
  #next = 0;
  #end = 0;
  #refill: Promise<void> | undefined;

  constructor(private readonly reserve: (size: number) => Promise<number>) {}

  async next(): Promise<number> {
    while (this.#next >= this.#end) {
      this.#refill ??= this.reserve(ID_BLOCK)
        .then((start) => {
          // The block is [start, start + size): ids start at 1, never 0.
          this.#next = start + 1;
          this.#end = start + ID_BLOCK + 1;
        })
        .finally(() => (this.#refill = undefined));
      await this.#refill;
    }
    return this.#next++;
  }
}
