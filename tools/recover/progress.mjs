// Progress on stderr: a bar redrawn in place on a terminal, a line every few seconds otherwise.
const REDRAW_MS = 100;
const LINE_MS = 5000;

export class Progress {
  constructor({ count, bytes }) {
    this.totalObjects = count;
    this.totalBytes = bytes;
    this.objects = 0;
    this.done_ = 0;
    this.tty = process.stderr.isTTY;
    this.last = 0;
  }

  bytes(n) {
    this.done_ += n;
    this.draw(false);
  }

  object() {
    this.objects++;
    this.draw(false);
  }

  /** A message line on stdout, not mixed into the bar. */
  println(line) {
    if (this.tty) process.stderr.write('\r\x1b[K');
    console.log(line);
    this.draw(true);
  }

  done() {
    this.draw(true);
    if (this.tty) process.stderr.write('\n');
  }

  draw(force) {
    const now = Date.now();
    if (!force && now - this.last < (this.tty ? REDRAW_MS : LINE_MS)) return;
    this.last = now;
    const share = this.totalBytes ? this.done_ / this.totalBytes : this.objects / Math.max(1, this.totalObjects);
    const width = 30;
    const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '.');
    const text = `[${bar}] ${this.objects}/${this.totalObjects} objects, ${mib(this.done_)}/${mib(this.totalBytes)} MiB`;
    process.stderr.write(this.tty ? `\r\x1b[K${text}` : `${text}\n`);
  }
}

const mib = (n) => (n / 1048576).toFixed(1);
