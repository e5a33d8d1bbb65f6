/** A progress line on stderr, only when stderr is a terminal. */
export class Progress {
  private last = 0;
  private readonly on = process.stderr.isTTY === true;

  update(label: string, done: number, total: number, packets: number): void {
    if (!this.on) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const pct = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 0;
    const width = 30;
    const filled = Math.floor((pct * width) / 100);
    const name = label.length > 40 ? `…${label.slice(-39)}` : label;
    process.stderr.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${String(pct).padStart(3)}% ${packets} packets  ${name}\x1b[K`);
  }

  done(): void {
    if (this.on && this.last > 0) process.stderr.write("\r\x1b[K");
  }
}
